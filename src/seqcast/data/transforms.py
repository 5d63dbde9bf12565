"""Transforms with exact inverses: differencing and scalers.

Arrays are ``(T,)`` or ``(T, C)``: time first, one column per channel. A DataFrame in gives
a DataFrame out with the matching index. Scalers are fitted on the training part only and
then applied to everything; their state is plain arrays so a checkpoint can hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, overload

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError

Data = TypeVar("Data", np.ndarray, pd.DataFrame)


class Difference:
    """``order`` times the difference ``x[t] - x[t - lag]`` (lag 1, or a season s).

    ``transform`` drops the first ``lag * order`` steps. ``inverse(dx, history)`` integrates
    back: ``history`` holds the original values just before ``dx`` begins (at least
    ``lag * order`` of them), for instance the observed series before a forecast of
    differences, or ``x[:lag * order]`` to undo ``transform(x)`` exactly.
    """

    def __init__(self, lag: int = 1, order: int = 1) -> None:
        if lag < 1 or order < 1:
            raise SeqcastError(f"differencing needs lag >= 1 and order >= 1, got {lag}, {order}")
        self.lag = lag
        self.order = order

    @property
    def span(self) -> int:
        """How many leading steps ``transform`` drops."""
        return self.lag * self.order

    @overload
    def transform(self, x: np.ndarray) -> np.ndarray: ...
    @overload
    def transform(self, x: pd.DataFrame) -> pd.DataFrame: ...
    def transform(self, x: np.ndarray | pd.DataFrame) -> np.ndarray | pd.DataFrame:
        values = _values(x)
        if len(values) <= self.span:
            raise SeqcastError(
                f"differencing with lag {self.lag} and order {self.order} needs more than "
                f"{self.span} steps, got {len(values)}"
            )
        for _ in range(self.order):
            values = values[self.lag :] - values[: -self.lag]
        if isinstance(x, pd.DataFrame):
            return pd.DataFrame(values, index=x.index[self.span :], columns=x.columns)
        return values

    @overload
    def inverse(self, dx: np.ndarray, history: np.ndarray | pd.DataFrame) -> np.ndarray: ...
    @overload
    def inverse(self, dx: pd.DataFrame, history: np.ndarray | pd.DataFrame) -> pd.DataFrame: ...
    def inverse(
        self, dx: np.ndarray | pd.DataFrame, history: np.ndarray | pd.DataFrame
    ) -> np.ndarray | pd.DataFrame:
        past = _values(history)
        if len(past) < self.span:
            raise SeqcastError(
                f"undoing lag-{self.lag} differencing of order {self.order} needs the "
                f"{self.span} values before the first difference, got {len(past)}"
            )
        # levels[k]: the last `lag` values of the history differenced k times.
        levels = [past[-self.span :]]
        for _ in range(self.order - 1):
            levels.append(levels[-1][self.lag :] - levels[-1][: -self.lag])
        values = _values(dx)
        for level in reversed(levels):
            seed = level[-self.lag :]
            out = np.concatenate([seed, np.zeros_like(values)])
            for t in range(len(values)):
                out[self.lag + t] = values[t] + out[t]
            values = out[self.lag :]
        if isinstance(dx, pd.DataFrame):
            return pd.DataFrame(values, index=dx.index, columns=dx.columns)
        return values


class _Scaler:
    """Shared fit/transform/inverse for affine per-column scalers: ``(x - shift) / scale``."""

    shift_: np.ndarray
    scale_: np.ndarray

    def fit(self, x: np.ndarray | pd.DataFrame) -> _Scaler:
        values = _values(x).astype(float)
        if len(values) == 0:
            raise SeqcastError("cannot fit a scaler on an empty training part")
        if np.isnan(values).any():
            raise SeqcastError("cannot fit a scaler on data with missing values")
        self.shift_, scale = self._statistics(values)
        self.scale_ = np.where(scale == 0, 1.0, scale)  # a constant column is left unscaled
        return self

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def transform(self, x: Data) -> Data:
        return self._apply(x, lambda v: (v - self.shift_) / self.scale_)

    def inverse_transform(self, x: Data) -> Data:
        return self._apply(x, lambda v: v * self.scale_ + self.shift_)

    def fit_transform(self, x: Data) -> Data:
        return self.fit(x).transform(x)

    def _apply(self, x: Data, f: Callable[[np.ndarray], np.ndarray]) -> Data:
        if not hasattr(self, "scale_"):
            raise SeqcastError(f"{type(self).__name__} is not fitted; call fit(train) first")
        values = _values(x)
        width = values.shape[1] if values.ndim > 1 else 1
        if width != self.scale_.size and values.ndim > 1:
            raise SeqcastError(
                f"{type(self).__name__} was fitted on {self.scale_.size} columns, got {width}"
            )
        out = f(values.astype(float))
        if isinstance(x, pd.DataFrame):
            return pd.DataFrame(out, index=x.index, columns=x.columns)
        return out


class StandardScaler(_Scaler):
    """``(x - mean) / std`` per column, population std (ddof 0) as sklearn computes it."""

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return values.mean(axis=0), values.std(axis=0)


class MinMaxScaler(_Scaler):
    """Maps each column's training range onto ``feature_range`` (default ``(0, 1)``)."""

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        low, high = feature_range
        if not low < high:
            raise SeqcastError(f"feature_range must rise, got {feature_range}")
        self.feature_range = (float(low), float(high))

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.feature_range
        data_min, data_max = values.min(axis=0), values.max(axis=0)
        scale = (data_max - data_min) / (high - low)
        safe = np.where(scale == 0, 1.0, scale)
        return data_min - low * safe, scale


def _values(x: np.ndarray | pd.DataFrame) -> np.ndarray:
    return x.to_numpy() if isinstance(x, pd.DataFrame) else np.asarray(x)
