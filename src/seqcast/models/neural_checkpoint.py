"""A neural forecaster's checkpoint: what ``NeuralForecaster.save`` writes and ``load`` reads.

The file (``seqcast.checkpoint``) holds the model's name and parameters, its targets and
input channels, whether it was fitted on a panel, the data's frequency, the weights, the
training history and, when training can go on, the state to resume it from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqcast.errors import SeqcastError
from seqcast.models.channels import Channels
from seqcast.training import History, TrainState

if TYPE_CHECKING:
    from seqcast.models.neural import NeuralForecaster


def write_checkpoint(
    model: NeuralForecaster,
    path: str | Path,
    state: TrainState | None,
    weights: dict[str, Any],
    data_source: dict[str, Any] | None,
) -> None:
    """Save fitted ``model`` with ``weights`` and, when given, the training ``state`` to
    resume from (its best weights are the checkpoint's own: not stored twice)."""
    from seqcast.checkpoint import save_checkpoint

    resume = None
    if state is not None:
        resume = {k: v for k, v in state.to_dict().items() if k != "best_weights"}
    save_checkpoint(
        path,
        {
            "model": model.name,
            "params": plain(model.params()),
            "targets": list(model.targets_),
            **model.channels_.to_dict(),
            "panel": model.series_ids_ is not None,
            "freq": model.freq_.freqstr,
            "n_inputs": int(model.n_inputs_),
            "state_dict": weights,
            "history": (state.history if state else History()).to_dict(),
            "resume": resume,
            "data_source": data_source,
        },
    )


def fitted_from_checkpoint(payload: dict[str, Any], path: str | Path) -> NeuralForecaster:
    """The fitted forecaster a checkpoint's content describes; ``path`` names the file in
    errors."""
    from pandas.tseries.frequencies import to_offset

    from seqcast.models.neural import NeuralForecaster
    from seqcast.models.registry import create_model

    model = create_model(payload["model"], **from_plain(payload["params"]))
    if not isinstance(model, NeuralForecaster):
        raise SeqcastError(f"{path} holds a {payload['model']} model, not a neural one")
    model.targets_ = list(payload["targets"])
    model.channels_ = Channels.from_dict(payload)
    model.series_ids_ = [] if payload.get("panel") else None
    model.freq_ = to_offset(payload["freq"])
    model.n_inputs_ = int(payload["n_inputs"])
    model.module_ = model.network(model.n_inputs_, len(model.targets_))
    try:
        model.module_.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise SeqcastError(
            f"{path}: the weights do not fit a {model.name} with these "
            f"parameters ({str(exc).splitlines()[0]})"
        ) from exc
    model.module_.eval()
    model.training_ = History.from_dict(payload["history"])
    return model


def saved_train_state(model: NeuralForecaster, path: str | Path) -> TrainState:
    """The training state saved in ``path``, refused unless it was saved by this model with
    the same parameters (the number of epochs and the progress display may differ)."""
    from seqcast.checkpoint import load_checkpoint

    payload = load_checkpoint(path)

    def settings(params: dict[str, Any]) -> dict[str, Any]:
        train = {k: v for k, v in params["train"].items() if k not in ("epochs", "progress")}
        return {**from_plain(params), "train": train}

    if payload["model"] != model.name or settings(payload["params"]) != settings(
        plain(model.params())
    ):
        raise SeqcastError(
            f"{path} was saved by a different model or parameters; resume with the same settings"
        )
    if payload.get("resume") is None:
        raise SeqcastError(f"{path} holds no training state to resume from")
    return TrainState.from_dict({**payload["resume"], "best_weights": payload["state_dict"]})


def plain(value: Any) -> Any:
    """Parameters as checkpoint-safe plain data (dataclasses to dicts, tuples to lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def from_plain(params: dict[str, Any]) -> dict[str, Any]:
    """Checkpoint parameters back as ``create_model`` takes them (lists to tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
