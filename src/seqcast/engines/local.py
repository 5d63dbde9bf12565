"""The local engine's pool: processes of this machine.

Workers come from a fork server (spawned where the platform has none), never from forking
this process: a process whose torch or BLAS thread pools have started cannot be forked
safely. Each worker caps its thread pools at an equal share of the CPUs this process may
use and imports what the pool was asked to preload before its first task. Workers of
neural tasks on a machine with several GPUs each keep one GPU (``engines.gpus``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from seqcast.engines.gpus import is_neural, visible_gpus, worker_gpu
from seqcast.engines.tasks import import_all
from seqcast.engines.threads import limit_threads, usable_cpus


class LocalPool:
    """``workers`` processes that first import ``preload``; ``map`` runs tasks on them,
    ``close`` ends them. For neural work (``preload`` has torch) the ``gpus`` (default: the
    visible ones) go one to each worker in turn when there are several."""

    def __init__(
        self, workers: int, preload: Sequence[str] = (), gpus: Sequence[str] | None = None
    ) -> None:
        methods = mp.get_all_start_methods()
        context = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        threads = max(1, usable_cpus() // workers)
        if gpus is None:
            gpus = visible_gpus() if is_neural(preload) else []
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start,
            initargs=(threads, tuple(preload), tuple(gpus), context.Value("i", 0)),
        )

    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """``[function(item) for item in items]``, in order; Ctrl-C (or SIGTERM, which the
        command line turns into it) ends the workers at once and re-raises."""
        futures = [self._pool.submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()  # a worker mid-task would otherwise run it to its end
            # the pool sees its workers gone and fails what was left; cancelling those
            # futures (as Executor.map does) trips the pool's own bookkeeping in Python
            # 3.11 and hangs the interpreter's exit
            self._pool.shutdown(wait=False)
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _start(threads: int, preload: tuple[str, ...], gpus: tuple[str, ...], started: Any) -> None:
    """A new worker: Ctrl-C is its parent's to handle (it ends the workers), its GPU (the
    ``started`` count says which worker it is), its share of the threads, then the modules
    its tasks need."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with started.get_lock():
        index = started.value
        started.value += 1
    gpu = worker_gpu(index, gpus)
    if gpu is not None:  # before torch starts CUDA, which reads it once
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    limit_threads(threads)
    import_all(preload)
