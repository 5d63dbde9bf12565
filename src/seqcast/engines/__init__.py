"""Where independent work runs: this machine's processes or a Ray cluster.

Everything that fans out (per-series fits on a panel, ``backtest --refit`` over origins,
``arima-search`` candidates, ``ltsf`` seeds, ``tune`` trials) goes through ``run_tasks``
with an ``Engine``:

- ``Engine("local", workers=N)``, the default: N processes of this machine (N = 1: in this
  process). The workers come from a fork server, so a script that asks for several needs
  the usual ``if __name__ == "__main__":`` guard.
- ``Engine("ray", address=...)``: tasks on a Ray cluster (``pip install "seqcast[ray]"``),
  an existing one at ``address`` (or ``$RAY_ADDRESS``), else a new one on this machine
  with ``workers`` CPUs (default: all of them).

Either way the function, with everything it binds (the data, the model), is sent once;
each task gets its items and returns small results; each task's thread pools (BLAS,
OpenMP, torch) get its share of the cores; the results come back in the items' order and
are the same on either engine. An item whose call raises is reported by its label once
every other item has run (``TaskFailures``, which keeps the others' results).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from seqcast.errors import SeqcastError

T = TypeVar("T")
R = TypeVar("R")

KINDS = ("local", "ray")

# A panel's series go in this many groups per worker: enough to balance series of
# different lengths, few enough that a task's overhead stays small.
SERIES_TASKS_PER_WORKER = 8

# What workers import before their first task (names: this layer imports none of them).
PRELOAD = [
    "seqcast.evaluation.backtest",
    "seqcast.evaluation.panel",
    "seqcast.models.classical",
    "seqcast.models.arima",
    "statsmodels.tsa.exponential_smoothing.ets",
    "statsmodels.tsa.statespace.sarimax",
]


@dataclass(frozen=True)
class Engine:
    """An execution engine: ``kind`` "local" or "ray"; ``workers``: local processes, or the
    CPUs of a new local Ray cluster (None: 1 locally, every CPU for Ray); ``address``: an
    existing Ray cluster ("auto", "HOST:6379" or "ray://HOST:10001"; default $RAY_ADDRESS)."""

    kind: str = "local"
    workers: int | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SeqcastError(f"engine must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise SeqcastError(f"workers must be a positive integer, got {self.workers!r}")
        if self.address is not None and self.kind != "ray":
            raise SeqcastError(
                "an address names a Ray cluster; use it with engine 'ray' (--engine ray)"
            )

    @property
    def in_process(self) -> bool:
        """Whether the work runs in this process (one local worker)."""
        return self.kind == "local" and (self.workers or 1) == 1

    def width(self) -> int:
        """How many tasks run at once: the local workers, or the Ray cluster's CPUs."""
        if self.kind == "local":
            return self.workers or 1
        from seqcast.engines.ray_tasks import cluster_cpus

        return cluster_cpus(self)


def as_engine(workers: int | Engine) -> Engine:
    """``workers`` as an Engine: a number of local processes stands for Engine("local", N)."""
    if isinstance(workers, Engine):
        return workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SeqcastError(f"workers must be a positive integer or an Engine, got {workers!r}")
    return Engine("local", workers)


class TaskFailures(SeqcastError, Generic[R]):
    """Some items raised. ``failures`` maps each one's label to its error; ``results`` holds
    every item's result in order, None where it failed."""

    def __init__(self, failures: dict[str, str], results: list[R | None], what: str) -> None:
        self.failures = failures
        self.results = results
        shown = "; ".join(f"{label}: {error}" for label, error in list(failures.items())[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} of {len(results)} {what} failed: {shown}{more}")


@dataclass(frozen=True)
class Outcome:
    """One item's result, or the error it raised (``error`` is not None)."""

    value: Any = None
    error: str | None = None


def run_tasks(
    function: Callable[[T], R],
    items: Sequence[T],
    engine: int | Engine = 1,
    *,
    labels: Sequence[object] | None = None,
    what: str = "tasks",
    tasks_per_worker: int | None = None,
) -> list[R]:
    """``[function(item) for item in items]``, in order, on ``engine``.

    ``labels`` name the items in errors (default: their positions); ``what`` names them as
    a group. Items go one per task, or, with ``tasks_per_worker``, in that many contiguous
    groups per concurrent task (many cheap items). Raises ``TaskFailures`` after every item
    has run when any raised; a Ray worker that dies is retried, and the items of a task
    lost on every try are reported as failed. Ctrl-C cancels what has not finished and
    raises KeyboardInterrupt.
    """
    engine = as_engine(engine)
    items = list(items)
    names = [str(label) for label in labels] if labels is not None else None
    if names is not None and len(names) != len(items):
        raise SeqcastError(f"{len(names)} labels for {len(items)} items")
    if engine.in_process or len(items) == 0:
        outcomes = [_call(function, item) for item in items]
    else:
        width = engine.width()
        count = len(items) if tasks_per_worker is None else tasks_per_worker * width
        groups = [list(g) for g in np.array_split(np.arange(len(items)), min(count, len(items)))]
        task = _Group(function)
        batches = [[items[i] for i in group] for group in groups]
        if engine.kind == "local":
            from seqcast.engines.local import local_map

            parts = local_map(task, batches, min(width, len(batches)))
        else:
            from seqcast.engines.ray_tasks import ray_map

            parts = ray_map(task, batches, engine, _lost)
        outcomes = [outcome for part in parts for outcome in part]
    failures = {
        (names[i] if names is not None else f"#{i}"): outcome.error
        for i, outcome in enumerate(outcomes)
        if outcome.error is not None
    }
    results = [outcome.value for outcome in outcomes]
    if failures:
        raise TaskFailures(failures, results, what)
    return results


def _lost(items: list[Any], why: str) -> list[Outcome]:
    """The outcomes of a group of items whose task never ran to its end."""
    return [Outcome(error=f"its task was lost ({why})") for _ in items]


def _call(function: Callable[[T], R], item: T) -> Outcome:
    """``function(item)`` as an Outcome; an Exception becomes its type and message."""
    try:
        return Outcome(function(item))
    except Exception as error:  # reported with the item's label, the others carry on
        return Outcome(error=f"{type(error).__name__}: {error}")


class _Group:
    """A task over a group of items: each item's Outcome, in order (picklable)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def __call__(self, items: list[Any]) -> list[Outcome]:
        return [_call(self.function, item) for item in items]


_limited: list[int] = []  # the cap this process's pools already have


def limit_threads(threads: int) -> None:
    """Cap this process's thread pools (OpenMP, BLAS, torch) at ``threads``; once per
    process and cap (a worker runs many tasks)."""
    if _limited == [threads]:
        return
    _limited[:] = [threads]
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)  # for pools started later in this process
    threadpool_limits(threads)  # for the ones already loaded
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


__all__ = [
    "SERIES_TASKS_PER_WORKER",
    "Engine",
    "TaskFailures",
    "as_engine",
    "limit_threads",
    "run_tasks",
]
