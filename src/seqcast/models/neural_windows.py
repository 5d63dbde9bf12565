"""How a neural forecaster's data becomes windows: every window of a series or of a panel
(stride 1, none crossing from one series into the next, a panel's short series padded to
one window: ``seqcast.models.padding``), and where each padded series ends, which the
validation split by time needs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seqcast.data.panel import is_panel, series_lengths
from seqcast.data.windows import Windows
from seqcast.models.channels import Channels
from seqcast.models.padding import padded_for_training, training_lengths


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
