"""Where independent work runs: this machine's processes or a Ray cluster.

Everything that fans out (per-series fits on a panel, ``backtest --refit`` over origins,
``arima-search`` candidates, ``ltsf`` seeds, ``tune`` trials) goes through ``run_tasks``
with an ``Engine``:

- ``Engine("local", workers=N)``, the default: N processes of this machine (N = 1: in this
  process). The workers come from a fork server, so a script that asks for several needs
  the usual ``if __name__ == "__main__":`` guard.
- ``Engine("ray", address=...)``: tasks on a Ray cluster (``pip install "seqcast[ray]"``),
  an existing one at ``address`` (or ``$RAY_ADDRESS``), else a new one on this machine
  with ``workers`` CPUs (default: all this process may use).

Neural tasks (those that preload torch) use the GPUs there are (``engines.gpus``): local
workers over several GPUs keep one each; on Ray each asks for ``gpus_per_task`` of a GPU.

An engine is a context manager that holds its process pool or Ray connection: inside
``with engine:`` every ``run_tasks`` on it uses the same workers (a ``with`` on an engine
already open only counts), and leaving the outermost block ends them (and a Ray cluster
the engine started). ``run_tasks`` on an engine that is not open opens it for that call.
Either way the function, with everything it binds (the data, the model), is sent once;
each task gets its items and returns small results; each worker's thread pools (BLAS,
OpenMP, torch) get its share of the cores and it imports what the caller names in
``preload`` before its first task; the results come back in the items' order and are the
same on either engine. An item whose call raises is reported by its label once every
other item has run (``TaskFailures``, which keeps the others' results).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

import numpy as np

from seqcast.engines.gpus import check_share
from seqcast.engines.local import LocalPool
from seqcast.engines.ray_tasks import RayConnection
from seqcast.engines.tasks import Group, Outcome, call
from seqcast.engines.threads import limit_threads, usable_cpus
from seqcast.errors import SeqcastError

T = TypeVar("T")
R = TypeVar("R")

KINDS = ("local", "ray")

# Workers of this machine (local processes, a new local Ray cluster) may outnumber its CPUs
# this many times at most: beyond, processes only compete for memory.
WORKERS_PER_CPU = 4

# A panel's series go in this many groups per worker: enough to balance series of
# different lengths, few enough that a task's overhead stays small.
SERIES_TASKS_PER_WORKER = 8


@dataclass
class Engine:
    """An execution engine: ``kind`` "local" or "ray"; ``workers``: local processes, or the
    CPUs of a new local Ray cluster (None: 1 locally, every usable CPU for Ray);
    ``address``: an existing Ray cluster ("auto", "HOST:6379" or "ray://HOST:10001";
    default $RAY_ADDRESS); ``gpus_per_task``: the share of a GPU a neural Ray task asks for
    (None: ``gpus.DEFAULT_SHARE`` on a cluster with GPUs, else none). Open it with ``with``
    to keep its workers for several calls."""

    kind: str = "local"
    workers: int | None = None
    address: str | None = None
    gpus_per_task: float | None = None
    _open: int = field(default=0, init=False, repr=False, compare=False)
    _backend: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SeqcastError(f"engine must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise SeqcastError(f"workers must be a positive integer, got {self.workers!r}")
        check_share(self.gpus_per_task)
        if self.address is not None and self.kind != "ray":
            raise SeqcastError(
                "an address names a Ray cluster; use it with engine 'ray' (--engine ray)"
            )
        most = WORKERS_PER_CPU * usable_cpus()
        if self.workers is not None and self.workers > most and self.address is None:
            raise SeqcastError(
                f"{self.workers} workers (--workers) would be {self.workers} processes on "
                f"this machine's {usable_cpus()} CPUs (at most {WORKERS_PER_CPU} a CPU: "
                f"{most}); for more, a Ray cluster (--engine ray --address)"
            )

    @property
    def in_process(self) -> bool:
        """Whether the work runs in this process (one local worker)."""
        return self.kind == "local" and (self.workers or 1) == 1

    def width(self) -> int:
        """How many tasks run at once: the local workers, or the Ray cluster's CPUs."""
        if self.kind == "local":
            return self.workers or 1
        with self:
            return self._connection().cpus()

    def ray(self) -> Any:
        """The ``ray`` module, connected as this (open) ray engine asks."""
        return self._connection().ray

    def map(
        self,
        function: Callable[[list[Any]], list[Outcome]],
        batches: Sequence[list[Any]],
        preload: Sequence[str] = (),
    ) -> list[list[Outcome]]:
        """``[function(batch) for batch in batches]`` on the workers, in order (a batch lost
        with its Ray worker on every retry gives its items' lost outcomes)."""
        with self:
            if self.kind == "ray":
                return self._connection().map(function, batches, preload)
            if self._backend is None:
                self._backend = LocalPool(self.width(), preload)
            pool: LocalPool = self._backend
            return pool.map(function, batches)

    def _connection(self) -> RayConnection:
        if self._open < 1:
            raise SeqcastError("open the engine first: with engine: ...")
        if self._backend is None:
            self._backend = RayConnection(self.address, self.workers, self.gpus_per_task)
        connection: RayConnection = self._backend
        return connection

    def __enter__(self) -> Engine:
        self._open += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._open -= 1
        if self._open == 0 and self._backend is not None:
            backend, self._backend = self._backend, None
            backend.close()

    def __getstate__(self) -> dict[str, Any]:
        """An engine travels as its settings: its workers stay where they are."""
        return {
            "kind": self.kind,
            "workers": self.workers,
            "address": self.address,
            "gpus_per_task": self.gpus_per_task,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


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


def run_tasks(
    function: Callable[[T], R],
    items: Sequence[T],
    engine: int | Engine = 1,
    *,
    labels: Sequence[object] | None = None,
    what: str = "tasks",
    tasks_per_worker: int | None = None,
    preload: Sequence[str] = (),
) -> list[R]:
    """``[function(item) for item in items]``, in order, on ``engine``.

    ``labels`` name the items in errors (default: their positions); ``what`` names them as
    a group. Items go one per task, or, with ``tasks_per_worker``, in that many contiguous
    groups per concurrent task (many cheap items). ``preload`` names the modules the
    workers import before their first task (the heavy ones ``function`` loads on first
    use). The items' warnings are given again here, wherever the items ran (as often as
    they came). Raises ``TaskFailures`` after every item has run when any raised; a Ray worker
    that dies is retried, and the items of a task lost on every try are reported as
    failed. Ctrl-C cancels what has not finished and raises KeyboardInterrupt.
    """
    engine = as_engine(engine)
    items = list(items)
    names = [str(label) for label in labels] if labels is not None else None
    if names is not None and len(names) != len(items):
        raise SeqcastError(f"{len(names)} labels for {len(items)} items")
    if engine.in_process or len(items) == 0:
        outcomes = [call(function, item) for item in items]
    else:
        with engine:
            width = engine.width()
            count = len(items) if tasks_per_worker is None else tasks_per_worker * width
            groups = np.array_split(np.arange(len(items)), min(count, len(items)))
            batches = [[items[i] for i in group] for group in groups]
            parts = engine.map(Group(function, preload), batches, preload)
        outcomes = [outcome for part in parts for outcome in part]
    for outcome in outcomes:
        outcome.warn_again()
    failures = {
        (names[i] if names is not None else f"#{i}"): outcome.error
        for i, outcome in enumerate(outcomes)
        if outcome.error is not None
    }
    results = [outcome.value for outcome in outcomes]
    if failures:
        raise TaskFailures(failures, results, what)
    return results


__all__ = [
    "SERIES_TASKS_PER_WORKER",
    "Engine",
    "TaskFailures",
    "as_engine",
    "limit_threads",
    "run_tasks",
    "usable_cpus",
]
