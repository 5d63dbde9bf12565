"""The Ray engine (``pip install "seqcast[ray]"``).

The function, with the data and model it binds, goes to the object store once
(``ray.put``); each task gets a reference to it and its own items, and returns small
results. A task takes one CPU and caps its thread pools at one thread, so tasks never
oversubscribe a node. A task whose worker dies is retried (``RETRIES`` times); Ctrl-C
cancels every task that has not finished.

This process connects once and stays connected: to ``engine.address`` or ``$RAY_ADDRESS``
when given (an existing cluster), else to a new local cluster of ``engine.workers`` CPUs
that lives as long as this process; then one worker per CPU imports ``PRELOAD`` (seqcast's
models and the statsmodels engines they load on first use), so no job pays for it. A
process already connected (``ray.init`` called by the user) is used as it is.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from seqcast.engines import PRELOAD, Engine, limit_threads
from seqcast.errors import SeqcastError

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 3
_remote: list[Any] = []  # the remote form of _apply


def connect(engine: Engine) -> Any:
    """The ``ray`` module, connected as ``engine`` asks (once per process)."""
    try:
        import ray
    except ImportError:
        raise SeqcastError('the ray engine needs Ray: pip install "seqcast[ray]"') from None
    if ray.is_initialized():
        return ray
    address = engine.address or os.environ.get("RAY_ADDRESS")
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(  # "local": a new cluster, never one `ray start` left running
                address="local",
                num_cpus=engine.workers or os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
            )
    except ConnectionError as error:
        raise SeqcastError(f"cannot reach the Ray cluster at {address}: {error}") from None
    warm = ray.remote(num_cpus=1)(_warm_up)
    ray.get([warm.remote() for _ in range(_cpus(ray))])  # a worker per CPU, imports done
    return ray


def cluster_cpus(engine: Engine) -> int:
    """The CPUs of the cluster ``engine`` runs on (at least 1)."""
    return _cpus(connect(engine))


def _cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def ray_map(
    function: Callable[[T], R],
    items: Sequence[T],
    engine: Engine,
    lost: Callable[[T, str], R],
) -> list[R]:
    """``[function(item) for item in items]``, in order, one Ray task per item; an item
    whose task could not run (its worker died on every try) gives ``lost(item, why)``."""
    ray = connect(engine)
    shared = ray.put(function)
    if not _remote:  # made once: each new remote function is exported to every worker
        _remote.append(ray.remote(num_cpus=1, max_retries=RETRIES)(_apply))
    refs = [_remote[0].remote(shared, item) for item in items]
    results = []
    try:
        for item, ref in zip(items, refs, strict=True):
            try:
                results.append(ray.get(ref))
            except ray.exceptions.RayError as error:
                results.append(lost(item, f"{type(error).__name__}: {error}"))
    except KeyboardInterrupt:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    return results


def _warm_up() -> None:
    """Runs on a Ray worker: what tasks need, imported once (``PRELOAD``, as the local
    engine's fork server preloads it)."""
    limit_threads(1)
    for module in PRELOAD:
        importlib.import_module(module)


def _apply(function: Callable[[T], R], item: T) -> R:
    """Runs on a Ray worker: one thread per pool, then ``function(item)``."""
    limit_threads(1)
    return function(item)
