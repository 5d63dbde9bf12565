"""Sliding windows over a series, without copying the data.

Symbols: T series length, L window (input) length, H horizon, C input channels,
K target channels, N number of windows, S scored positions per window, B batch.

Everything indexes through ``sliding`` (a strided view):

- ``seq2vec_windows``, ``seq2seq_windows`` and ``lag_matrix`` give every window of a series
  as read-only views;
- ``Windows`` (what training draws batches from) keeps the series once with the start row of
  each window, and copies only the windows a batch asks for.

Counting follows Keras' ``timeseries_dataset_from_array(x, targets=x[L:],
sequence_length=L)``: one-step targets give N = T - L windows, window i being
``x[i : i + L]`` with target ``x[i + L]``. With H targets per window, N = T - L - H + 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqcast.errors import SeqcastError


def seq2vec_windows(
    x: np.ndarray, length: int, horizon: int = 1, targets: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``length`` steps, each with the ``horizon`` values that follow it.

    Inputs:  x (T, C) or (T,).
    Outputs: inputs (N, L, C) and targets (N, H, K), N = T - L - H + 1;
             ``targets[i, k] = x[i + L + k, targets]``. A 1-D x gives (N, L, 1) and (N, H, 1).
    """
    series = _as_2d(x)
    _check(series, length, horizon)
    picked = _target_columns(series, targets)
    inputs = sliding(series, length)[: len(series) - length - horizon + 1]  # (N, L, C)
    future = sliding(picked[length:], horizon)  # (N, H, K)
    return inputs, future


def seq2seq_windows(
    x: np.ndarray, length: int, horizon: int, targets: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Windows whose every step carries the ``horizon`` values that follow that step.

    Inputs:  x (T, C) or (T,).
    Outputs: inputs (N, L, C) and targets (N, L, H, K), N = T - L - H + 1;
             ``targets[i, t, k] = x[i + t + 1 + k, targets]``.
    """
    series = _as_2d(x)
    _check(series, length, horizon)
    picked = _target_columns(series, targets)
    inputs = sliding(series, length)[: len(series) - length - horizon + 1]  # (N, L, C)
    ahead = sliding(picked[1:], horizon)  # (T - H, H, K): the H values after each step
    per_step = sliding_window_view(ahead, length, axis=0)  # (N, H, K, L)
    return inputs, per_step.transpose(0, 3, 1, 2)  # (N, L, H, K)


def lag_matrix(x: np.ndarray, tau: int) -> tuple[np.ndarray, np.ndarray]:
    """Autoregression features: row i is ``x[i : i + tau]``, its label ``x[i + tau]``.

    Inputs: x (T,). Outputs: features (T - tau, tau), labels (T - tau,).
    """
    series = np.asarray(x)
    if series.ndim != 1:
        raise SeqcastError(f"lag_matrix takes a 1-D series, got shape {series.shape}")
    if tau < 1:
        raise SeqcastError(f"tau must be at least 1, got {tau}")
    if len(series) <= tau:
        raise SeqcastError(
            f"a lag matrix with tau={tau} needs more than {tau} values, got {len(series)}"
        )
    return sliding_window_view(series, tau)[:-1], series[tau:]


def sliding(series: np.ndarray, length: int) -> np.ndarray:
    """(T, C) -> (T - length + 1, length, C): row i is ``series[i : i + length]``, a view."""
    return sliding_window_view(series, length, axis=0).transpose(0, 2, 1)


@dataclasses.dataclass(frozen=True)
class Windows:
    """Windows as start rows over one array, so no window is copied until a batch is taken.

    ``values`` (T, C) holds the inputs, ``targets`` (T, K) the target columns. Window i
    covers ``values[starts[i] : starts[i] + length]``; its output position s (input step
    ``steps[s]`` of the window, default the last) is scored against the ``horizon`` target
    rows after that step.
    """

    values: np.ndarray  # (T, C)
    targets: np.ndarray  # (T, K)
    starts: np.ndarray  # (N,)
    length: int
    horizon: int
    steps: np.ndarray  # (S,)
    series: np.ndarray | None = None  # (N,) which series each window is from (panels)

    def __post_init__(self) -> None:
        if len(self.starts) and (
            self.starts.min() < 0
            or self.starts.max() + self.steps.max() + self.horizon >= len(self.values)
        ):
            raise SeqcastError(
                f"window starts must leave {self.length} inputs and {self.horizon} targets "
                f"inside the {len(self.values)} rows"
            )

    @classmethod
    def over(
        cls,
        values: np.ndarray,
        targets: np.ndarray,
        length: int,
        horizon: int,
        steps: Sequence[int] | None = None,
    ) -> Windows:
        """Every window of ``values`` with stride 1 (T - L - H + 1 of them, or none)."""
        count = max(len(values) - length - horizon + 1, 0)
        scored = np.asarray([length - 1] if steps is None else list(steps), dtype=np.int64)
        return cls(values, targets, np.arange(count), length, horizon, scored)

    @classmethod
    def over_series(
        cls,
        values: np.ndarray,
        targets: np.ndarray,
        lengths: np.ndarray,
        length: int,
        horizon: int,
        steps: Sequence[int] | None = None,
    ) -> Windows:
        """Every window inside one series of a panel: ``values`` holds the series one after
        another, ``lengths`` (N_series,) their rows. A series gives T_i - L - H + 1 windows
        (none when shorter); ``series`` says which series each window is from."""
        ends = np.cumsum(lengths)
        firsts = ends - lengths
        counts = np.maximum(np.asarray(lengths) - length - horizon + 1, 0)
        starts = np.concatenate([f + np.arange(c) for f, c in zip(firsts, counts, strict=True)])
        series = np.repeat(np.arange(len(lengths)), counts)
        scored = np.asarray([length - 1] if steps is None else list(steps), dtype=np.int64)
        return cls(values, targets, starts.astype(np.int64), length, horizon, scored, series)

    def batch(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (B, L, C) and targets (B, S, H, K) of the windows ``index`` (copies)."""
        starts = self.starts[index]  # (B,)
        inputs = sliding(self.values, self.length)[starts]  # (B, L, C)
        ahead = sliding(self.targets[1:], self.horizon)  # (T - H, H, K): the H rows after a row
        return inputs, ahead[starts[:, None] + self.steps[None, :]]  # (B, S, H, K)

    def take(self, index: np.ndarray | slice) -> Windows:
        """The windows ``index`` of these, over the same arrays."""
        series = None if self.series is None else self.series[index]
        return dataclasses.replace(self, starts=self.starts[index], series=series)

    def __len__(self) -> int:
        return len(self.starts)


def _as_2d(x: np.ndarray) -> np.ndarray:
    series = np.asarray(x)
    if series.ndim == 1:
        return series[:, None]
    if series.ndim != 2:
        raise SeqcastError(f"expected a series of shape (T,) or (T, C), got {series.shape}")
    return series


def _check(series: np.ndarray, length: int, horizon: int) -> None:
    if length < 1 or horizon < 1:
        raise SeqcastError(f"window length and horizon must be at least 1, got {length}, {horizon}")
    if len(series) < length + horizon:
        raise SeqcastError(
            f"a series of {len(series)} steps is too short for windows of {length} steps "
            f"with {horizon} target steps (needs at least {length + horizon})"
        )


def _target_columns(series: np.ndarray, targets: Sequence[int] | None) -> np.ndarray:
    """The target columns, as a view when they are one contiguous run (else one copy)."""
    if targets is None:
        return series
    columns = list(targets)
    width = series.shape[1]
    bad = [c for c in columns if not -width <= c < width]
    if bad or not columns:
        raise SeqcastError(f"target column indices {columns} do not fit {width} columns")
    columns = [c % width for c in columns]
    if columns == list(range(columns[0], columns[-1] + 1)):
        return series[:, columns[0] : columns[-1] + 1]
    return series[:, columns]
