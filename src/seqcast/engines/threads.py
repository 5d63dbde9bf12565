"""How many CPUs this process may use, and capping its thread pools to a share of them."""

from __future__ import annotations

import os
import sys


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform says, e.g. under a
    container's or a scheduler's CPU set), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def limit_threads(threads: int) -> None:
    """Cap this process's thread pools (OpenMP, BLAS, torch) at ``threads``: the ones
    started later through the environment, the ones loaded already through threadpoolctl."""
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    threadpool_limits(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
