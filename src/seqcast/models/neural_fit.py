"""How a neural forecaster's network is trained, and what training gives back.

``TrainedNetwork`` is the fitted record a forecaster keeps: the input channels, the
network with its best weights, the training history and the state to resume from.
``hold_out`` sets the validation windows aside by time; ``train_network`` builds one
network (or the members of an ensemble) from a seeded generator and trains each with the
loop of ``seqcast.training``.
"""

from __future__ import annotations

import dataclasses
import functools
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
from seqcast.train_config import TrainConfig
from seqcast.training import History, NonFiniteLoss, TrainState

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


@dataclass
class Resume:
    """Where an interrupted run goes on: ``member`` (0 for a single network) from its
    training ``state``; with an ensemble, the whole network's ``weights`` (the members before
    ``member`` trained, the ones after it as built) and member 0's ``history`` when it is
    done."""

    state: TrainState
    member: int = 0
    weights: dict[str, Any] | None = None
    history: History | None = None


Interrupt = Callable[[int, TrainState, Any, History | None], None]


def _at_member(
    on_interrupt: Interrupt, member: int, module: Any, first: History | None, state: TrainState
) -> None:
    """``on_interrupt`` for ``member`` of ``module``, as ``training.train`` calls it."""
    on_interrupt(member, state, module, first)


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
    resume: Resume | None = None,
    on_epoch: Callable[[TrainedNetwork], None] | None = None,
    on_interrupt: Interrupt | None = None,
    trained_on: dict[str, Any] | None = None,
    score: Callable[[Any], tuple[float, float]] | None = None,
) -> TrainedNetwork:
    """Build the network (``build()``: one module, or an ensemble whose ``members`` train one
    after another, member i shuffling with ``config.seed`` + i) from torch's generator
    seeded with ``config.seed``, and train it on ``windows``, early-stopping on ``valid``.

    ``on_epoch`` sees the network as it is after every epoch (its weights then, the history
    so far). Ctrl-C hands ``on_interrupt(member, state, module, first)`` the interrupted
    member's last completed epoch (``seqcast.training.train``), the whole module and member
    0's finished history (None while member 0 trains); ``resume`` goes on from there,
    exactly as the run would have. ``score(member)``, when given, validates each member in
    place of ``valid``'s windows (``training.train``). A non-finite loss raises
    ``NonFiniteLoss`` whose ``kept`` is the network with the best weights seen. Every record
    carries ``trained_on`` (``data_summary`` of the training data).

    The network is built on the CPU (the same weights on any device), then moved once to
    ``config.device`` with the windows (``training.on_device``), and trained there; its
    history says where, at which precision, and the device's peak memory.
    """
    from seqcast import devices
    from seqcast.networks.ensemble import MeanOf
    from seqcast.training import on_device, seeded, train

    device = devices.resolve(config.device)
    devices.reset_peak(device)
    with seeded(config.seed, device), devices.matmul_precision(config.precision, device):
        module = build()
        members = list(module.members) if isinstance(module, MeanOf) else [module]
        module.to(device)
        windows_there, valid_there = on_device(windows, valid, device)
        if resume is not None and resume.weights is not None:
            module.load_state_dict(resume.weights)
        first = resume.member if resume is not None else 0
        histories = [resume.history] if resume is not None and first > 0 else []

        def after_epoch(history: History) -> None:
            if on_epoch is not None:
                on_epoch(TrainedNetwork(channels, module, history, None, trained_on))

        try:
            for i in range(first, len(members)):
                interrupted = None
                if on_interrupt is not None:
                    done = histories[0] if histories else None
                    interrupted = functools.partial(_at_member, on_interrupt, i, module, done)
                state = train(
                    members[i],
                    windows_there,
                    valid_there,
                    dataclasses.replace(config, seed=config.seed + i),
                    channels.scale[:n_targets],
                    per_window=per_window,
                    resume=resume.state if resume is not None and i == first else None,
                    on_epoch=after_epoch,
                    on_interrupt=interrupted,
                    head=head,
                    score=score,
                )
                histories.append(state.history)
        except NonFiniteLoss as error:
            stopped = History(stopped="non-finite loss")
            error.kept = TrainedNetwork(channels, module, stopped, None, trained_on)
            raise
    # An ensemble keeps member 0's history and no state to train on from.
    kept = state if len(members) == 1 else None
    history = histories[0] if histories[0] is not None else state.history
    history.peak_memory_mb = devices.peak_memory_mb(device)  # every member's training
    return TrainedNetwork(channels, module, history, kept, trained_on)
