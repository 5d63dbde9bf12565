"""Which GPUs the engines give to neural tasks (those that preload torch).

Local workers over several GPUs each see one of them (``CUDA_VISIBLE_DEVICES``, in turn:
worker i the (i mod G)-th); one GPU, or none, is left as it is. On Ray a neural task asks
for ``gpus_per_task`` of a GPU (``DEFAULT_SHARE`` when the cluster has GPUs and the user
said nothing: four small networks train side by side on one GPU); Ray then shows the task
its own GPU.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

from seqcast.errors import SeqcastError

DEFAULT_SHARE = 0.25  # of a GPU per neural task on a Ray cluster with GPUs


def is_neural(preload: Sequence[str]) -> bool:
    """Whether tasks that preload these modules train or run networks."""
    return "torch" in preload


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` names them (or numbered
    0..G-1 as torch counts them); none without torch or CUDA."""
    named = os.environ.get("CUDA_VISIBLE_DEVICES")
    if named is not None:
        return [gpu.strip() for gpu in named.split(",") if gpu.strip() and gpu.strip() != "-1"]
    if importlib.util.find_spec("torch") is None:
        return []
    import torch

    return [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def worker_gpu(index: int, gpus: Sequence[str]) -> str | None:
    """The GPU local worker ``index`` keeps to itself, or None (one GPU or none: shared)."""
    return gpus[index % len(gpus)] if len(gpus) > 1 else None


def check_share(gpus_per_task: float | None) -> None:
    """Refuse a share of a GPU that is not a number in [0, 1], or a whole number of GPUs."""
    if gpus_per_task is None:
        return
    share = gpus_per_task
    if isinstance(share, bool) or not isinstance(share, int | float) or share < 0:
        raise SeqcastError(f"gpus_per_task must be 0 or more, got {gpus_per_task!r}")
    if share > 1 and share != int(share):
        raise SeqcastError(
            f"gpus_per_task is a share of one GPU (0 to 1) or a whole number of them, "
            f"got {gpus_per_task!r}"
        )


def task_share(gpus_per_task: float | None, cluster_gpus: float, preload: Sequence[str]) -> float:
    """The GPUs a Ray task asks for: none for work that runs no network, else the user's
    ``gpus_per_task``, else ``DEFAULT_SHARE`` on a cluster that has GPUs."""
    if not is_neural(preload):
        return 0.0
    if gpus_per_task is not None:
        return float(gpus_per_task)
    return DEFAULT_SHARE if cluster_gpus > 0 else 0.0
