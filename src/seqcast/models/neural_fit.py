"""How a neural forecaster's network is trained, and what training gives back.

``TrainedNetwork`` is the fitted record a forecaster keeps: the input channels, the
network with its best weights, the training history and the state to resume from.
``hold_out`` sets the validation windows aside by time; ``train_network`` builds one
network (or the members of an ensemble) from a seeded generator and trains each with the
loop of ``seqcast.training``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from seqcast.data.windows import Windows
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
    """

    channels: Channels
    module: Any
    history: History
    state: TrainState | None = None


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
) -> TrainedNetwork:
    """Build the network (``build()``: one module, or an ensemble whose ``members`` train one
    after another, member i shuffling with ``config.seed`` + i) from torch's generator
    seeded with ``config.seed``, and train it on ``windows``, early-stopping on ``valid``.

    ``on_epoch`` sees the network as it is after every epoch (its weights then, the history
    so far); ``resume`` and ``on_interrupt`` are as in ``seqcast.training.train`` (Ctrl-C
    hands ``on_interrupt`` the last completed epoch's state). A non-finite loss raises
    ``NonFiniteLoss`` whose ``kept`` is the network with the best weights seen.
    """
    from seqcast.networks.ensemble import MeanOf
    from seqcast.training import matmul_precision, seeded, train

    with seeded(config.seed), matmul_precision(config.precision):
        module = build()
        members = list(module.members) if isinstance(module, MeanOf) else [module]

        def after_epoch(history: History) -> None:
            if on_epoch is not None:
                on_epoch(TrainedNetwork(channels, module, history))

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
            error.kept = TrainedNetwork(channels, module, History(stopped="non-finite loss"))
            raise
    # An ensemble keeps member 0's history and no state to resume from.
    state = states[0] if len(members) == 1 else None
    return TrainedNetwork(channels, module, states[0].history, state)
