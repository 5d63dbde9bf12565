"""How a neural forecaster's data becomes windows: every window of a series or of a panel
(stride 1, none crossing from one series into the next, a panel's short series padded to
one window: ``seqcast.models.padding``), where each padded series ends, which the
validation split by time needs, and which windows a model trains and validates on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from seqcast.data.panel import is_panel, series_lengths
from seqcast.data.windows import Windows
from seqcast.errors import SeqcastError
from seqcast.models.channels import Channels
from seqcast.models.neural_fit import hold_out
from seqcast.models.padding import padded_for_training, training_lengths
from seqcast.train_config import TrainConfig


class WindowedModel(Protocol):
    """What ``training_windows`` and validation by forecasting read of a neural forecaster
    (``seqcast.models.neural.NeuralForecaster``)."""

    input_len: int
    horizon: int
    train: TrainConfig
    targets_: list[str]

    @property
    def name(self) -> str: ...

    @property
    def network_horizon(self) -> int: ...

    @property
    def head(self) -> Any: ...

    def windows(self, data: pd.DataFrame, channels: Channels | None = None) -> Windows: ...


def data_windows(
    data: pd.DataFrame,
    channels: Channels,
    *,
    input_len: int,
    network_horizon: int,
    n_targets: int,
    steps: Sequence[int] | None,
) -> Windows:
    """Every window of ``data`` (a series or a panel) over its ``channels`` (float32), the
    first ``n_targets`` channels the targets, scored at input ``steps`` (default: the last)."""
    k = n_targets
    if not is_panel(data):
        features = channels.features(data).astype(np.float32)  # (T, C)
        return Windows.over(features, features[:, :k], input_len, network_horizon, steps)
    stacked, lengths = channels.panel_features(data)
    if channels.masked:  # short series padded to one window
        window = input_len + network_horizon
        stacked, lengths = padded_for_training(
            stacked, lengths, window, network_horizon, channels.mask_column
        )
    features = stacked.astype(np.float32)
    return Windows.over_series(
        features, features[:, :k], lengths, input_len, network_horizon, steps
    )


def panel_ends(
    data: pd.DataFrame, channels: Channels, *, input_len: int, network_horizon: int
) -> np.ndarray | None:
    """(N,) the row after each series in ``data_windows``' layout of a panel (its padded
    series included); None for one series."""
    if not is_panel(data):
        return None
    lengths = series_lengths(data)
    if channels.masked:
        lengths = training_lengths(lengths, input_len + network_horizon, network_horizon)
    return np.cumsum(lengths)


def training_windows(
    model: WindowedModel, data: pd.DataFrame, channels: Channels, valid: pd.DataFrame | None
) -> tuple[Windows, Windows | None]:
    """The windows ``model`` trains on and those it validates on (``NeuralForecaster.fit``):
    ``valid``'s, or those ``hold_out`` sets aside, or none with ``train.valid_fraction`` 0."""
    windows = model.windows(data, channels)
    if len(windows) < 1:
        raise SeqcastError(
            f"{model.name}: the data is too short for one window of {model.input_len} "
            f"steps and {model.network_horizon} targets"
        )
    if valid is not None:
        held = model.windows(valid, channels)
        if len(held) < 1:
            raise SeqcastError(
                f"{model.name}: the validation part has {len(valid)} steps, too few for one "
                f"window of {model.input_len} steps and {model.network_horizon} targets"
            )
        return windows, held
    if model.train.valid_fraction == 0:
        return windows, None
    return hold_out(
        windows,
        panel_ends(
            data, channels, input_len=model.input_len, network_horizon=model.network_horizon
        ),
        fraction=model.train.valid_fraction,
        steps=model.train.valid_steps or model.horizon,
        input_len=model.input_len,
        network_horizon=model.network_horizon,
    )
