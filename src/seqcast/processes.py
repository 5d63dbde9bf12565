"""Sharing independent work among processes (``--workers``).

Workers come from a fork server (spawned where the platform has none), never from forking
this process: a process whose torch or BLAS thread pools have started cannot be forked
safely. As with any spawned worker, a script that asks for several workers needs the usual
``if __name__ == "__main__":`` guard. Each worker gets an equal share of the cores for its
thread pools, so the workers do not oversubscribe the machine.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PRELOAD = ["seqcast.evaluation.backtest", "seqcast.models.registry"]  # warm workers


def process_map(function: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """``[function(item) for item in items]``, in order, over ``workers`` processes; in this
    process when one worker is asked for. ``function`` and the items must pickle."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    count = min(workers, len(items))
    methods = mp.get_all_start_methods()
    context = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(_PRELOAD)
    threads = max(1, (os.cpu_count() or 1) // count)
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_limit_threads, initargs=(threads,)
    ) as pool:
        return list(pool.map(function, items))


def _limit_threads(threads: int) -> None:
    """Cap this worker's thread pools (OpenMP, BLAS, torch) at ``threads``."""
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)  # for pools started later in this worker
    threadpool_limits(threads)  # for the ones already loaded
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
