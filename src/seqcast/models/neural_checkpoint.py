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
from seqcast.models.neural_fit import Resume, TrainedNetwork, differences
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
    member: int = 0,
) -> None:
    """Save fitted ``model`` (its name, parameters, targets, series and frequency) with its
    input ``channels``, ``weights`` and ``history`` and, when given, the training ``state``
    to resume from (its best weights are the checkpoint's own: not stored twice), where
    its data came from and what it was (``trained_on``)."""
    from seqcast.checkpoint import save_checkpoint

    resume = None
    if state is not None:  # the member training when it stopped (0 for a single network)
        resume = {k: on_cpu(v) for k, v in state.to_dict().items() if k != "best_weights"}
        resume["member"] = member
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
            "state_dict": on_cpu(weights),
            "history": history.to_dict(),
            "resume": resume,
            "data_source": data_source,
            "trained_on": trained_on,
        },
    )


class InterruptSaver:
    """Saves an interrupted training run of ``model`` to ``path`` (``save``, the
    ``on_interrupt`` of ``neural_fit.train_network``), unless ``path`` holds a run trained
    further, which is kept; ``said`` then tells what it did and how to go on."""

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

    def save(self, member: int, state: TrainState, module: Any, first: History | None) -> None:
        """Save ``member``'s last completed epoch ``state`` with the whole ``module`` (the
        members after it as built, those before it trained) and member 0's finished history
        ``first`` (None: member 0 is the one interrupted)."""
        at = (
            f"member {member + 1}, epoch {state.epoch}"
            if _members(module)
            else f"epoch {state.epoch}"
        )
        before = _progress(self.path)
        if before is not None and before > (member, state.epoch):
            there = f"member {before[0] + 1}, " if _members(module) else ""
            self.said = (
                f"interrupted after {at}; {self.path} holds a run trained further "
                f"({there}{before[1]} epochs) and is kept, so nothing was saved"
            )
            return
        weights = state.best_weights
        if _members(module):  # the whole ensemble, this member at its best so far
            weights = dict(module.state_dict())
            weights |= {f"members.{member}.{k}": v for k, v in state.best_weights.items()}
        history = first if first is not None else state.history
        write_checkpoint(
            self.path,
            self.model,
            self.channels,
            weights,
            history,
            state,
            None,
            self.trained_on,
            member,
        )
        self.said = f"interrupted after {at}: resume with --resume {self.path}"


def _members(module: Any) -> bool:
    """Whether ``module`` is an ensemble (members trained one after another)."""
    return hasattr(module, "members")


def _progress(path: Path) -> tuple[int, int] | None:
    """(member, epochs) of the run saved at ``path``; None when there is none we can read."""
    from seqcast.checkpoint import load_checkpoint

    if not path.exists():
        return None
    try:
        payload = load_checkpoint(path)
        resume = payload.get("resume") or {}
        return int(resume.get("member", 0)), History.from_dict(
            resume.get("history", payload["history"])
        ).epochs
    except (SeqcastError, KeyError, TypeError, ValueError):
        return None


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


def saved_train_state(path: str | Path, model: Forecaster, data: dict[str, Any]) -> Resume:
    """Where the training saved in ``path`` goes on, refused unless it was saved by
    ``model``'s kind with the same parameters (the number of epochs and the progress
    display may differ) and trained on the data ``data`` summarises
    (``neural_fit.data_summary``)."""
    from seqcast.checkpoint import damaged, load_checkpoint

    payload = load_checkpoint(path)
    with damaged(path):
        return _train_state(payload, path, model, data)


def _train_state(
    payload: dict[str, Any], path: str | Path, model: Forecaster, data: dict[str, Any]
) -> Resume:
    """``saved_train_state`` of the checkpoint content ``payload``."""

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
    record = {k: v for k, v in payload["resume"].items() if k != "member"}
    member = int(payload["resume"].get("member", 0))
    weights = payload["state_dict"]
    if int(payload["params"].get("ensemble", 1)) == 1:
        return Resume(TrainState.from_dict({**record, "best_weights": weights}))
    prefix = f"members.{member}."
    best = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
    first = History.from_dict(payload["history"]) if member > 0 else None
    return Resume(TrainState.from_dict({**record, "best_weights": best}), member, weights, first)


def on_cpu(value: Any) -> Any:
    """``value`` with every tensor in it (in dicts and lists) on the CPU, so a checkpoint
    saved from a GPU loads anywhere."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(on_cpu(v) for v in value)
    return value


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
