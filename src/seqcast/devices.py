"""Where a network trains and forecasts, at which precision, and what that cost.

``resolve`` turns a device setting (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``) into a
``torch.device``, refusing one this machine lacks by name; ``auto`` takes CUDA when torch
sees a GPU, else Apple's ``mps``, else the CPU. ``matmul_precision`` sets how float32
matrix products run for as long as training does; ``autocast`` wraps a forward pass in
bf16 on an accelerator (the CPU's bf16 runs through oneDNN's matmul setting instead, float32
in and out). ``peak_memory_mb`` and ``reset_peak`` measure a run; ``describe`` names the
device in words for logs.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from seqcast.errors import SeqcastError

if TYPE_CHECKING:
    import torch

Precision = Literal["fp32", "tf32", "bf16"]
DEVICE_FORMS = "auto, cpu, cuda, cuda:N or mps"


def check_setting(device: str) -> None:
    """Refuse a device setting that is none of ``DEVICE_FORMS`` (before anything is built)."""
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise SeqcastError(f"device must be {DEVICE_FORMS}, got {device!r}")


def resolve(device: str) -> torch.device:
    """The ``torch.device`` a setting names on this machine; ``auto``: CUDA, else mps, else
    the CPU. A GPU this machine does not have is refused, naming what it has."""
    import torch

    check_setting(device)
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise SeqcastError(
                f"device {device}: torch sees no CUDA GPU on this machine (torch "
                f"{torch.__version__}); use --device cpu, or a CUDA build of torch"
            )
        index = 0 if chosen.index is None else chosen.index
        if index >= count:
            raise SeqcastError(
                f"device {device}: this machine has {count} CUDA GPU(s), 0 to {count - 1}"
            )
        return torch.device("cuda", index)
    if chosen.type == "mps" and not _mps_available():
        raise SeqcastError(f"device {device}: Apple's mps backend is not available here")
    return chosen


def _mps_available() -> bool:
    import torch

    return sys.platform == "darwin" and torch.backends.mps.is_available()


def describe(device: torch.device) -> str:
    """The device in words: ``cpu``, ``cuda:0 (NVIDIA H200)``, ``mps``."""
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


@contextlib.contextmanager
def matmul_precision(precision: Precision, device: torch.device) -> Iterator[None]:
    """Run float32 matrix products on ``device`` at ``precision`` inside the block: ``fp32``
    exact; ``tf32`` TensorFloat-32 (CUDA tensor cores; oneDNN on CPUs that have it); ``bf16``
    on a CPU, oneDNN's bfloat16 arithmetic with float32 in and out (on a GPU bf16 is
    ``autocast``'s, and products outside it stay exact). The settings are process-wide, so
    only training changes them, for as long as it runs."""
    import torch

    cpu = torch.backends.mkldnn.matmul  # type: ignore[attr-defined]  # not in torch's stubs
    saved = [(cpu, cpu.fp32_precision)]
    cpu.fp32_precision = {"tf32": "tf32", "bf16": "bf16"}.get(precision, "ieee")
    if device.type == "cuda":
        cuda, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv  # type: ignore[attr-defined]
        saved += [(cuda, cuda.fp32_precision), (conv, conv.fp32_precision)]
        cuda.fp32_precision = conv.fp32_precision = "tf32" if precision == "tf32" else "ieee"
    try:
        yield
    finally:
        for backend, value in saved:
            backend.fp32_precision = value


def autocast(precision: Precision, device: torch.device) -> contextlib.AbstractContextManager[None]:
    """A forward pass's context: bfloat16 autocast for ``bf16`` on CUDA or mps, else nothing
    (losses and distribution heads are computed outside it, in float32)."""
    import torch

    if precision == "bf16" and device.type in ("cuda", "mps"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def reset_peak(device: torch.device) -> None:
    """Start measuring the peak memory of ``device`` from now (CUDA; a CPU's is the
    process's)."""
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float:
    """The most memory ``device`` held since ``reset_peak``, in MB: CUDA's allocated tensors,
    mps' current allocation, a CPU's the whole process's peak resident size."""
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1e6
    if device.type == "mps":
        return float(torch.mps.current_allocated_memory()) / 1e6
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # bytes on macOS, KB on Linux


def rng_state(device: torch.device) -> torch.Tensor | None:
    """The random generator state of an accelerator (dropout draws from it), None on a CPU."""
    import torch

    if device.type == "cuda":
        return torch.cuda.get_rng_state(device)
    if device.type == "mps":
        return torch.mps.get_rng_state()
    return None


def set_rng_state(device: torch.device, state: torch.Tensor | None) -> None:
    """Put back what ``rng_state`` gave (nothing on a CPU, or when ``state`` is None: a run
    saved on another kind of device goes on with this one's generator as it is)."""
    import torch

    if state is None:
        return
    if device.type == "cuda":
        torch.cuda.set_rng_state(state.cpu(), device)
    elif device.type == "mps":
        torch.mps.set_rng_state(state.cpu())
