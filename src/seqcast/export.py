"""A trained neural forecaster as a file that forecasts without seqcast: ONNX or TorchScript.

Symbols: B windows, L input length, C input channels, K targets, H steps, P parameters per
value of a distribution head (1 without).

``Forecasting`` wraps the network with everything a forecast needs around it: the input
scaling, a recursive model's feedback loop, the undoing of the scaling and a distribution
head's point forecast. It maps a window (B, L, C) in the data's own units to the forecast
(B, H, K) in the same units, exactly as ``predict`` does. ``export_model`` writes it to a
new folder as ``model.onnx`` (onnxruntime runs it; ``pip install "seqcast[export]"``) or
``model.pt`` (TorchScript: ``torch.jit.load``), with ``export.json``, which says what the
input's columns are.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import nn

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.networks import steppable, stepper
from seqcast.results import results_dir
from seqcast.version import __version__

if TYPE_CHECKING:
    from seqcast.networks.heads import Head

Format = Literal["onnx", "torchscript"]
FORMATS: tuple[str, ...] = ("onnx", "torchscript")
FILES = {"onnx": "model.onnx", "torchscript": "model.pt"}
OPSET = 18


class Forecasting(nn.Module):
    """window (B, L, C), the numeric columns in the data's units -> forecast (B, H, K).

    ``shift``/``scale`` (N,) scale the N numeric channels as training did; the other C - N
    channels (one-hots, static values, the series number) come as ``Channels.features``
    gives them; the first ``logged`` numeric channels enter as their logs (of the values +
    ``offset`` (logged,), a single series' log offset c), and those targets' forecasts come
    back through exp, less c. A ``recursive`` network is fed its own point forecast H
    times."""

    def __init__(
        self,
        network: nn.Module,
        shift: torch.Tensor,
        scale: torch.Tensor,
        n_targets: int,
        horizon: int,
        recursive: bool,
        head: Head | None,
        logged: int = 0,
        offset: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.network, self.k, self.horizon = network, n_targets, horizon
        self.logged = logged
        self.recursive, self.head = recursive, head
        self.shift: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("shift", shift.float())
        self.register_buffer("scale", scale.float())
        self.offset: torch.Tensor
        self.register_buffer(
            "offset", (offset if offset is not None else torch.zeros(logged)).float()
        )
        self.params = 1 if head is None else head.params

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        batch = window.shape[0]
        n, logged = self.shift.shape[0], self.logged
        numeric = window[..., :n]
        if logged > 0:
            logs = (numeric[..., :logged] + self.offset).log()
            numeric = torch.cat([logs, numeric[..., logged:]], dim=-1)
        x = torch.cat([(numeric - self.shift) / self.scale, window[..., n:]], dim=-1)
        if self.recursive:
            raw = self._recursive(x)  # (B, H, P, K)
        else:
            out = self.network(x)[:, -1].reshape(batch, -1, self.params, self.k)
            raw = out[:, : self.horizon]
        shift, scale = self.shift[: self.k], self.scale[: self.k]
        if self.head is None:
            point = raw[:, :, 0] * scale + shift
        else:
            from seqcast.networks.heads import rescale

            point = self.head.point(rescale(self.head, raw, shift, scale))
        if logged > 0:
            values = point[..., :logged].exp() - self.offset
            point = torch.cat([values, point[..., logged:]], dim=-1)
        return point

    def _recursive(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, P, K) the outputs of H steps, each fed the last one's point forecast; a
        steppable network carries its state, as ``predict`` does."""
        batch, stepping = x.shape[0], steppable(self.network)
        outputs, state = stepper(self.network).encode(x) if stepping else (self.network(x), None)
        steps = []
        for h in range(self.horizon):
            out = outputs[:, -1].reshape(batch, 1, self.params, self.k)
            steps.append(out)
            if h + 1 < self.horizon:
                if stepping:
                    outputs, state = stepper(self.network).step(self._point(out), state)
                else:
                    x = torch.cat([x[:, 1:], self._point(out)], dim=1)
                    outputs = self.network(x)
        return torch.cat(steps, dim=1)

    def _point(self, out: torch.Tensor) -> torch.Tensor:
        """(B, 1, K) the point forecast of outputs (B, 1, P, K), in the scaled units."""
        return out[:, :, 0] if self.head is None else self.head.point(out)


def forecasting_module(model: NeuralForecaster, horizon: int | None = None) -> Forecasting:
    """``model``'s network (on the CPU, in eval mode) wrapped to forecast ``horizon`` steps
    (default: the model's own; a recursive model's must be given when it is not 1)."""
    if not hasattr(model, "trained_"):
        raise SeqcastError(f"{model.name} is not fitted; nothing to export")
    channels = model.trained_.channels
    recursive = model.strategy == "recursive"
    steps = horizon if horizon is not None else model.horizon
    if steps < 1:
        raise SeqcastError(f"the export's horizon must be at least 1, got {steps}")
    if not recursive and steps > model.horizon:
        raise SeqcastError(
            f"{model.name} was trained to forecast {model.horizon} steps ({model.strategy}); "
            f"cannot export {steps}"
        )
    if recursive and steps > 1 and channels.width > len(model.targets_):
        raise SeqcastError(
            f"{model.name} forecasts recursively from {channels.width} channels, "
            f"{len(model.targets_)} of them targets: the others' next values are not known "
            "inside the exported model; export --horizon 1, or refit with the direct strategy"
        )
    if channels.log_offset and channels.offset_ids != [None]:
        raise SeqcastError(
            f"{model.name} takes each series' logs of y + c with c its own (log_offset "
            f"{channels.log_offset:g}), and an exported model's window does not say which "
            "series it is; export a model fitted with log_offset=0, or on one series"
        )
    module = copy.deepcopy(model.trained_.module).to("cpu").eval()  # the model's stays put
    return Forecasting(
        module,
        torch.as_tensor(channels.shift),
        torch.as_tensor(channels.scale),
        len(model.targets_),
        steps,
        recursive,
        model.head,
        channels.logged,
        torch.as_tensor(channels.offsets[0]) if channels.log_offset else None,
    ).eval()


def input_columns(model: NeuralForecaster) -> list[str]:
    """The names of the C input channels, in order (``Channels``' order)."""
    channels = model.trained_.channels
    names = list(channels.numeric)
    for column, categories in channels.categories.items():
        names += [f"{column}=={value} (next step)" for value in categories]
    names += [f"{column} (standardised)" for column in channels.static]
    if channels.series_ids is not None:
        names.append("series number (export.json: series_ids)")
    return names


def export_model(
    model: NeuralForecaster,
    out_dir: str | Path,
    format: Format = "onnx",
    horizon: int | None = None,
) -> Path:
    """Write ``model`` to the new folder ``out_dir`` as ``format`` with export.json;
    returns the model file's path."""
    if format not in FORMATS:
        raise SeqcastError(f"format must be {' or '.join(FORMATS)}, got {format!r}")
    wrapped = forecasting_module(model, horizon)
    example = torch.zeros(2, model.input_len, model.trained_.channels.width)
    out_dir = Path(out_dir)
    with results_dir(out_dir) as tmp, torch.no_grad(), _quiet():
        target = tmp / FILES[format]
        if format == "onnx":
            _onnx(wrapped, example, target)
        else:
            traced = torch.jit.freeze(torch.jit.trace(wrapped, example, check_trace=False))
            torch.jit.save(traced, str(target))
        (tmp / "export.json").write_text(json.dumps(_description(model, wrapped, format), indent=2))
    return out_dir / FILES[format]


def _onnx(wrapped: Forecasting, example: torch.Tensor, target: Path) -> None:
    """ONNX through torch.export (the window's first dimension free)."""
    try:
        import onnx  # noqa: F401  # torch's exporter needs it
        import onnxscript  # noqa: F401
    except ImportError:
        raise SeqcastError('ONNX export needs onnx: pip install "seqcast[export]"') from None
    batch = torch.export.Dim("batch", min=1)
    with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
        program = _onnx_program(wrapped, example, batch)
    if program is None:
        raise SeqcastError("torch's ONNX exporter gave no program")
    program.save(str(target), external_data=False)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Torch's own notes while it exports: deprecations of TorchScript, its exporter's
    internals, optional packages it skips (torchvision); none is the user's to act on."""
    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # checked by our tests
            yield
    finally:
        log.setLevel(level)


def _onnx_program(wrapped: Forecasting, example: torch.Tensor, batch: Any) -> Any:
    return torch.onnx.export(
        wrapped,
        (example,),
        input_names=["window"],
        output_names=["forecast"],
        dynamic_shapes={"window": {0: batch}},
        opset_version=OPSET,
        dynamo=True,
        external_data=False,
        verbose=False,
    )


def _description(model: NeuralForecaster, wrapped: Forecasting, format: str) -> dict[str, Any]:
    """What export.json says: how to call the file and what its input and output are."""
    channels = model.trained_.channels
    ids = channels.series_ids
    return {
        "seqcast": __version__,
        "format": format,
        "file": FILES[format],
        "model": model.name,
        "input": {
            "name": "window",
            "shape": ["B", model.input_len, channels.width],
            "columns": input_columns(model),
            "units": "the numeric columns in the data's own units; the rest as named",
        },
        "output": {"name": "forecast", "shape": ["B", wrapped.horizon, len(model.targets_)]},
        "targets": list(model.targets_),
        "horizon": wrapped.horizon,
        "freq": model.freq_.freqstr,
        "series_ids": None if ids is None else [str(s) for s in ids],
    }
