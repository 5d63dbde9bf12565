"""How a neural forecaster's network is trained, and what training gives back.

``TrainedNetwork`` is the fitted record a forecaster keeps: the input channels, the
network with its best weights, the training history and the state to resume from.
``hold_out`` sets the validation windows aside by time; ``train_network`` builds one
network (or the members of an ensemble) from a seeded generator and trains each with the
loop of ``seqcast.training``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from seqcast.data.panel import is_panel, series_lengths
from seqcast.data.windows import Windows
from seqcast.errors import SeqcastError
from seqcast.models.channels import Channels
from seqcast.training import History, NonFiniteLoss, TrainConfig, TrainState

if TYPE_CHECKING:
    from seqcast.networks.heads import Head


@dataclass
class TrainedNetwork:
    """What a neural forecaster learned in ``fit`` (or read from a checkpoint).

    channels : how the data becomes the network's input channels (``Channels``).
    module : the ``nn.Module``, (B, L, C) -> (B, S, O), holding the best weights.
    history : the per-epoch record of training.
    state : everything needed to go on training (None for an ensemble, or a checkpoint
        saved without it).
    trained_on : what the training data was (``data_summary``), so that a resumed run can
        refuse other data (None for a checkpoint that did not record it).
    """

    channels: Channels
    module: Any
    history: History
    state: TrainState | None = None
    trained_on: dict[str, Any] | None = None


def data_summary(data: pd.DataFrame, targets: list[str]) -> dict[str, Any]:
    """What a network was trained on, to tell other data from it: the targets, the rows, the
    first and last dates, the series of a panel, and a digest of the target values."""
    values = np.ascontiguousarray(data[targets].to_numpy(dtype=np.float64))
    times = data.index.get_level_values(-1)
    return {
        "targets": list(targets),
        "rows": len(data),
        "first": str(times.min()),
        "last": str(times.max()),
        "series": len(series_lengths(data)) if is_panel(data) else None,
        "digest": hashlib.sha256(values.tobytes()).hexdigest(),
    }


def differences(saved: dict[str, Any], now: dict[str, Any]) -> str:
    """How data summarised as ``now`` differs from ``saved`` (empty when it does not)."""

    def said(summary: dict[str, Any]) -> str:
        series = f", {summary['series']} series" if summary["series"] is not None else ""
        return (
            f"{', '.join(summary['targets'])} from {summary['first']} to {summary['last']} "
            f"({summary['rows']:,} rows{series})"
        )

    if said(saved) != said(now):
        return f"it was trained on {said(saved)}, this data is {said(now)}"
    if saved["digest"] != now["digest"]:
        return f"it was trained on other values of {said(saved)}"
    return ""


def refuse_negative_counts(
    data: pd.DataFrame, targets: list[str], head: Head | None, name: str
) -> None:
    """A count head (negbin) refuses targets below zero before any training."""
    if head is None or head.shifts:
        return
    values = data[targets].to_numpy(dtype=float)
    if (values < 0).any():
        row, column = (int(i) for i in np.argwhere(values < 0)[0])
        raise SeqcastError(
            f"{name}: train.loss {head.name} models counts, and target {targets[column]!r} "
            f"has negative values (the first at {data.index[row]}: {values[row, column]:g})"
        )


def hold_out(
    windows: Windows,
    ends: np.ndarray | None,
    *,
    fraction: float,
    steps: int,
    input_len: int,
    network_horizon: int,
) -> tuple[Windows, Windows | None]:
    """Training and validation windows, split by time: of one series, the last
    ``fraction`` of them; of a panel (``ends`` (N,): the row after each series), those whose
    targets lie in the last ``steps`` steps of every series, trained on the ones whose
    targets end before. Too few windows to spare: no validation."""
    if windows.series is None or ends is None:
        cut = round(len(windows) * (1 - fraction))
        if not 0 < cut < len(windows):  # too few windows to set any aside
            return windows, None
        return windows.take(slice(cut)), windows.take(slice(cut, None))
    end = ends[windows.series]  # the row after each window's series
    first_target = windows.starts + input_len
    validating = first_target >= end - steps
    training = first_target + network_horizon <= end - steps
    if not validating.any() or not training.any():
        return windows, None
    return windows.take(np.flatnonzero(training)), windows.take(np.flatnonzero(validating))


def train_network(
    build: Callable[[], Any],
    channels: Channels,
    windows: Windows,
    valid: Windows | None,
    config: TrainConfig,
    *,
    n_targets: int,
    per_window: bool,
    head: Head | None,
    resume: TrainState | None = None,
    on_epoch: Callable[[TrainedNetwork], None] | None = None,
    on_interrupt: Callable[[TrainState], None] | None = None,
    trained_on: dict[str, Any] | None = None,
) -> TrainedNetwork:
    """Build the network (``build()``: one module, or an ensemble whose ``members`` train one
    after another, member i shuffling with ``config.seed`` + i) from torch's generator
    seeded with ``config.seed``, and train it on ``windows``, early-stopping on ``valid``.

    ``on_epoch`` sees the network as it is after every epoch (its weights then, the history
    so far); ``resume`` and ``on_interrupt`` are as in ``seqcast.training.train`` (Ctrl-C
    hands ``on_interrupt`` the last completed epoch's state). A non-finite loss raises
    ``NonFiniteLoss`` whose ``kept`` is the network with the best weights seen. Every
    record carries ``trained_on`` (``data_summary`` of the training data).
    """
    from seqcast.networks.ensemble import MeanOf
    from seqcast.training import matmul_precision, seeded, train

    with seeded(config.seed), matmul_precision(config.precision):
        module = build()
        members = list(module.members) if isinstance(module, MeanOf) else [module]

        def after_epoch(history: History) -> None:
            if on_epoch is not None:
                on_epoch(TrainedNetwork(channels, module, history, None, trained_on))

        try:
            states = [
                train(
                    member,
                    windows,
                    valid,
                    dataclasses.replace(config, seed=config.seed + i),
                    channels.scale[:n_targets],
                    per_window=per_window,
                    resume=resume,
                    on_epoch=after_epoch,
                    on_interrupt=on_interrupt,
                    head=head,
                )
                for i, member in enumerate(members)
            ]
        except NonFiniteLoss as error:
            stopped = History(stopped="non-finite loss")
            error.kept = TrainedNetwork(channels, module, stopped, None, trained_on)
            raise
    # An ensemble keeps member 0's history and no state to resume from.
    state = states[0] if len(members) == 1 else None
    return TrainedNetwork(channels, module, states[0].history, state, trained_on)
