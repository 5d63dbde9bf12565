"""What a neural model does to tensor shapes: each layer's output for one batch.

Symbols: B batch, L input length, C input channels, H horizon.

``explain`` builds the model's ``nn.Module`` for C channels (all of them forecast), runs one
real forward pass on a random batch (B, L, C) on the model's ``train.device`` at its
``train.precision``, and records every submodule's output shape with forward hooks, in the
order the outputs appear, with each submodule's parameter count, and the device's peak memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model


@dataclass
class Stage:
    """One submodule's output: its dotted name, class, shapes (several for tuples such as an
    RNN's (output, h_n)), parameters (its own and its children's) and how often it ran."""

    name: str
    kind: str
    shapes: list[list[int]]
    params: int
    calls: int = 1


@dataclass
class Explanation:
    model: str
    input_shape: list[int]
    output_shape: list[int]
    forecast_shape: list[int]  # (B, H, K): the output as the forecaster reads it
    stages: list[Stage] = field(default_factory=list)
    params: int = 0
    device: str = "cpu"  # where the pass ran, in words
    precision: str = "fp32"
    peak_memory_mb: float = 0.0  # the device's peak (a CPU's: the process's)


def explain(
    name: str,
    batch: int,
    channels: int,
    horizon: int | None = None,
    params: dict[str, Any] | None = None,
) -> Explanation:
    """Shapes and parameter counts of ``name`` built with ``params`` for a batch of
    ``batch`` windows of ``channels`` channels; ``horizon`` sets H where the model has one."""
    import torch

    from seqcast import devices

    if batch < 1 or channels < 1:
        raise SeqcastError(f"batch and channels must be at least 1, got {batch} and {channels}")
    settings = dict(params or {})
    if horizon is not None:
        settings["horizon"] = horizon
        if settings.get("strategy", "recursive") == "recursive" and horizon > 1:
            settings.setdefault("strategy", "direct")
    model = create_model(name, **settings)
    if not isinstance(model, NeuralForecaster):
        raise SeqcastError(f"{name} is not a neural model; explain shows neural layers")
    steps = model.network_horizon
    device = devices.resolve(model.train.device)
    module = model.build(channels, channels).to(device)
    stages: dict[str, Stage] = {}

    def record(name: str) -> Any:
        def hook(sub: Any, inputs: Any, output: Any) -> None:
            if name in stages:
                stages[name].calls += 1
                return
            stages[name] = Stage(
                name,
                type(sub).__name__,
                _shapes(output),
                sum(p.numel() for p in sub.parameters()),
            )

        return hook

    handles = [
        sub.register_forward_hook(record(sub_name))
        for sub_name, sub in module.named_modules()
        if sub_name
    ]
    x = torch.randn(batch, model.input_len, channels).to(device)
    module.eval()
    devices.reset_peak(device)
    precision = model.train.precision
    try:
        with (
            torch.no_grad(),
            devices.matmul_precision(precision, device),
            devices.autocast(precision, device),
        ):
            y = module(x)
    finally:
        for handle in handles:
            handle.remove()
    return Explanation(
        model=name,
        input_shape=list(x.shape),
        output_shape=list(y.shape),
        forecast_shape=[batch, steps, channels],
        stages=list(stages.values()),
        params=sum(p.numel() for p in module.parameters()),
        device=devices.describe(device),
        precision=precision,
        peak_memory_mb=devices.peak_memory_mb(device),
    )


def _shapes(output: Any) -> list[list[int]]:
    if hasattr(output, "shape"):
        return [list(output.shape)]
    if isinstance(output, tuple | list):
        return [shape for item in output for shape in _shapes(item)]
    return []
