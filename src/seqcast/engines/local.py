"""The local engine: a pool of this machine's processes.

Workers come from a fork server (spawned where the platform has none), never from forking
this process: a process whose torch or BLAS thread pools have started cannot be forked
safely. Each worker gets an equal share of the cores for its thread pools.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from seqcast.engines import PRELOAD, limit_threads

T = TypeVar("T")
R = TypeVar("R")


def local_map(function: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[function(item) for item in items]``, in order, over ``workers`` processes."""
    methods = mp.get_all_start_methods()
    context = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(PRELOAD)
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=limit_threads, initargs=(threads,)
    )
    try:
        return list(pool.map(function, items))
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
