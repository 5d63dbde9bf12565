"""A neural forecaster's checkpoint: what ``NeuralForecaster.save`` writes and ``load`` reads.

The file (``seqcast.checkpoint``) holds the model's name and parameters, its targets and
input channels, whether it was fitted on a panel, the data's frequency, the weights, the
training history and, when training can go on, the state to resume it from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.channels import Channels
from seqcast.models.neural_fit import TrainedNetwork, differences
from seqcast.training import History, TrainState


def write_checkpoint(
    path: str | Path,
    model: Forecaster,
    channels: Channels,
    weights: dict[str, Any],
    history: History,
    state: TrainState | None,
    data_source: dict[str, Any] | None = None,
    trained_on: dict[str, Any] | None = None,
) -> None:
    """Save fitted ``model`` (its name, parameters, targets, series and frequency) with its
    input ``channels``, ``weights`` and ``history`` and, when given, the training ``state``
    to resume from (its best weights are the checkpoint's own: not stored twice), where
    its data came from and what it was (``trained_on``)."""
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
            **channels.to_dict(),
            "panel": model.series_ids_ is not None,
            "freq": model.freq_.freqstr,
            "n_inputs": channels.width,
            "state_dict": weights,
            "history": history.to_dict(),
            "resume": resume,
            "data_source": data_source,
            "trained_on": trained_on,
        },
    )


class InterruptSaver:
    """Saves an interrupted training run of ``model`` to ``path`` (``save``, the training
    loop's ``on_interrupt``), unless ``path`` holds a run trained further, which is kept;
    ``said`` then tells what it did and how to go on."""

    def __init__(
        self,
        path: str | Path,
        model: Forecaster,
        channels: Channels,
        trained_on: dict[str, Any] | None,
    ) -> None:
        self.path, self.model, self.channels = Path(path), model, channels
        self.trained_on = trained_on
        self.said = ""

    def save(self, state: TrainState) -> None:
        from seqcast.checkpoint import load_checkpoint

        if self.path.exists():
            try:
                before = History.from_dict(load_checkpoint(self.path)["history"]).epochs
            except (SeqcastError, KeyError):
                before = -1  # not a checkpoint of ours that we can read: ours replaces it
            if before > state.epoch:
                self.said = (
                    f"interrupted after epoch {state.epoch}; {self.path} holds a run trained "
                    f"further ({before} epochs) and is kept, so nothing was saved"
                )
                return
        weights, history = state.best_weights, state.history
        model, channels = self.model, self.channels
        write_checkpoint(self.path, model, channels, weights, history, state, None, self.trained_on)
        self.said = f"interrupted after epoch {state.epoch}: resume with --resume {self.path}"


def read_network(
    payload: dict[str, Any], module: Any, channels: Channels, path: str | Path
) -> TrainedNetwork:
    """The trained network a checkpoint's content describes: its weights loaded into
    ``module`` (built for ``channels``); ``path`` names the file in errors."""
    try:
        module.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise SeqcastError(
            f"{path}: the weights do not fit a {payload['model']} with these "
            f"parameters ({str(exc).splitlines()[0]})"
        ) from exc
    module.eval()
    history = History.from_dict(payload["history"])
    return TrainedNetwork(channels, module, history, None, payload.get("trained_on"))


def saved_train_state(path: str | Path, model: Forecaster, data: dict[str, Any]) -> TrainState:
    """The training state saved in ``path``, refused unless it was saved by ``model``'s kind
    with the same parameters (the number of epochs and the progress display may differ)
    and trained on the data ``data`` summarises (``neural_fit.data_summary``)."""
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
    saved = payload.get("trained_on")
    differ = differences(saved, data) if saved is not None else ""
    if differ:
        raise SeqcastError(f"{path} cannot resume on this data: {differ}")
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
