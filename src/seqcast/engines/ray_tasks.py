"""The Ray engine's connection (``pip install "seqcast[ray]"``).

It connects to ``address`` or ``$RAY_ADDRESS`` when given (an existing cluster), else starts
a new local cluster of ``workers`` CPUs, which it shuts down when closed; a process already
connected (``ray.init`` called by the user) is used as it is and left connected. Before the
first tasks, one worker per CPU imports what they need. The function a ``map`` runs, with
the data and model it binds, goes to the object store once (``ray.put``); each task gets a
reference to it and its own items, takes one CPU and caps its thread pools at one thread,
so tasks never oversubscribe a node. A task whose worker dies is retried (``RETRIES``
times); Ctrl-C cancels every task that has not finished.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from seqcast.engines.tasks import import_all, lost
from seqcast.engines.threads import limit_threads, usable_cpus
from seqcast.errors import SeqcastError

RETRIES = 3


class RayConnection:
    """A connection to a Ray cluster (see the module docstring)."""

    def __init__(self, address: str | None, workers: int | None) -> None:
        import os

        try:
            import ray
        except ImportError:
            raise SeqcastError('the ray engine needs Ray: pip install "seqcast[ray]"') from None
        self.ray = ray
        self.started = not ray.is_initialized()  # ours to shut down
        if self.started:
            address = address or os.environ.get("RAY_ADDRESS")
            try:
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(  # "local": a new cluster, never one `ray start` left running
                        address="local",
                        num_cpus=workers or usable_cpus(),
                        include_dashboard=False,
                        log_to_driver=False,
                    )
            except ConnectionError as error:
                raise SeqcastError(f"cannot reach the Ray cluster at {address}: {error}") from None
        self._apply = ray.remote(num_cpus=1, max_retries=RETRIES)(_apply)
        self._warm: set[str] = set()

    def cpus(self) -> int:
        """The cluster's CPUs (at least 1)."""
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def map(
        self,
        function: Callable[[list[Any]], Any],
        batches: Sequence[list[Any]],
        preload: Sequence[str] = (),
    ) -> list[Any]:
        """``[function(batch) for batch in batches]``, in order, one task per batch; a
        batch whose task could not run (its worker died on every try) gives ``lost``."""
        ray = self.ray
        self._warm_up(preload)
        shared = ray.put(function)
        refs = [self._apply.remote(shared, batch) for batch in batches]
        results = []
        try:
            for batch, ref in zip(batches, refs, strict=True):
                try:
                    results.append(ray.get(ref))
                except ray.exceptions.RayError as error:
                    results.append(lost(batch, f"{type(error).__name__}: {error}"))
        except KeyboardInterrupt:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise
        return results

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()

    def _warm_up(self, preload: Sequence[str]) -> None:
        """One worker per CPU imports ``preload`` (what it has not imported before), so no
        task pays for it."""
        new = [module for module in preload if module not in self._warm]
        if new:
            warm = self.ray.remote(num_cpus=1)(_warm_up)
            self.ray.get([warm.remote(new) for _ in range(self.cpus())])
            self._warm.update(new)


def _warm_up(modules: list[str]) -> None:
    """Runs on a Ray worker: one thread per pool, and ``modules`` imported."""
    limit_threads(1)
    import_all(modules)


def _apply(function: Callable[[Any], Any], item: Any) -> Any:
    """Runs on a Ray worker: one thread per pool, then ``function(item)``."""
    limit_threads(1)
    return function(item)
