"""The Ray engine's connection (``pip install "seqcast[ray]"``).

It connects to ``address`` or ``$RAY_ADDRESS`` when given (an existing cluster), else starts
a new local cluster of ``workers`` CPUs, which it shuts down when closed. An address is
first tried with a plain TCP connection (Ray would retry an address where nothing answers
for minutes): one that is not HOST:PORT, a host that does not resolve or a port where
nothing answers within ``CONNECT_TIMEOUT`` seconds is refused, naming it. A process already
connected (``ray.init`` called by the user) is used as it is and left connected. Before the
first tasks, one worker per CPU imports what they need. The function a ``map`` runs, with
the data and model it binds, goes to the object store once (``ray.put``); each task gets a
reference to it and its own items, takes one CPU and caps its thread pools at one thread,
so tasks never oversubscribe a node; a neural task also asks for a share of a GPU where
the cluster has them (``engines.gpus.task_share``). A task whose worker dies is retried (``RETRIES``
times); Ctrl-C cancels every task that has not finished.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

from seqcast.engines.gpus import task_share
from seqcast.engines.tasks import import_all, lost
from seqcast.engines.threads import limit_threads, usable_cpus
from seqcast.errors import SeqcastError

RETRIES = 3
CONNECT_TIMEOUT = 10  # seconds for a cluster's address to answer


class RayConnection:
    """A connection to a Ray cluster (see the module docstring)."""

    def __init__(
        self, address: str | None, workers: int | None, gpus_per_task: float | None = None
    ) -> None:
        try:
            import ray
        except ImportError:
            raise SeqcastError('the ray engine needs Ray: pip install "seqcast[ray]"') from None
        self.ray = ray
        self.started = not ray.is_initialized()  # ours to shut down
        if self.started:
            address = address or os.environ.get("RAY_ADDRESS")
            if address:
                _join(ray, address)
            else:
                ray.init(  # "local": a new cluster, never one `ray start` left running
                    address="local",
                    num_cpus=workers or usable_cpus(),
                    include_dashboard=False,
                    log_to_driver=False,
                )
        self._apply = ray.remote(num_cpus=1, max_retries=RETRIES)(_apply)
        self._warm: set[str] = set()
        self.gpus_per_task = gpus_per_task

    def cpus(self) -> int:
        """The cluster's CPUs (at least 1)."""
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def gpus(self) -> float:
        """The cluster's GPUs (0 without any)."""
        return float(self.ray.cluster_resources().get("GPU", 0))

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
        gpus = task_share(self.gpus_per_task, self.gpus(), preload)
        apply = self._apply.options(num_gpus=gpus) if gpus else self._apply
        refs = [apply.remote(shared, batch) for batch in batches]
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


def _join(ray: Any, address: str) -> None:
    """Connect to the existing cluster at ``address`` (see the module docstring)."""
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise SeqcastError(
            f"--address {address} connects through Ray Client, which needs its own packages: "
            'pip install "ray[client]"'
        )
    if address != "auto":
        _answers(address)
    try:
        ray.init(address=address, log_to_driver=False)
    except ConnectionError as error:
        hint = ""
        if os.environ.get("RAY_AUTH_MODE") != "token":
            hint = (
                "; a cluster that uses token authentication (`ray start` does since Ray 2.60) "
                "also needs RAY_AUTH_MODE=token and its token here (docs/scale.md)"
            )
        raise SeqcastError(f"cannot join the Ray cluster at {address}: {error}{hint}") from None
    except ValueError as error:
        raise SeqcastError(f"cannot use the Ray address {address!r}: {error}") from None


def _answers(address: str) -> None:
    """Refuse ``address`` ("HOST:PORT" or "ray://HOST:PORT") unless something accepts a TCP
    connection there within ``CONNECT_TIMEOUT`` seconds."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit() or any(c.isspace() for c in host):
        raise SeqcastError(
            f"--address {address!r} is not a Ray address: give HOST:PORT, ray://HOST:PORT or auto"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        if isinstance(error, TimeoutError):
            reason = f"no answer within {CONNECT_TIMEOUT} s"
        else:
            reason = error.strerror or str(error)
        raise SeqcastError(f"cannot reach the Ray cluster at {address}: {reason}") from None


def _warm_up(modules: list[str]) -> None:
    """Runs on a Ray worker: one thread per pool, and ``modules`` imported."""
    limit_threads(1)
    import_all(modules)


def _apply(function: Callable[[Any], Any], item: Any) -> Any:
    """Runs on a Ray worker: one thread per pool, then ``function(item)``."""
    limit_threads(1)
    return function(item)
