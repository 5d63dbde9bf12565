"""Baselines every model must beat. Each forecasts from the observed history alone.

They learn nothing in ``fit``: a forecast from any origin uses the values up to that origin,
so refitting in a backtest changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.registry import register_model


@register_model("naive")
@dataclass
class Naive(Forecaster):
    """Every step repeats the last observed value."""

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)  # (T, K)
        return np.repeat(y[-1:], n, axis=0)


@register_model("seasonal_naive")
@dataclass
class SeasonalNaive(Forecaster):
    """Step h repeats the value one season earlier: ``y[T + h] = y[T + h - season·k]``
    for the smallest k that reaches the observed part (the last season, repeated)."""

    season: int = 7

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        return {"season": season}

    def __post_init__(self) -> None:
        if self.season < 1:
            raise SeqcastError(f"seasonal_naive: season must be at least 1, got {self.season}")

    @property
    def min_history(self) -> int:
        return self.season

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)  # (T, K)
        last_season = y[len(y) - self.season :]  # (s, K)
        return last_season[np.arange(n) % self.season]


@register_model("mean")
@dataclass
class Mean(Forecaster):
    """Every step is the mean of all observed values."""

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)
        return np.repeat(y.mean(axis=0, keepdims=True), n, axis=0)


@register_model("drift")
@dataclass
class Drift(Forecaster):
    """The line through the first and last observed values, extended: ``y[T] + h·slope``."""

    @property
    def min_history(self) -> int:
        return 2

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)
        slope = (y[-1] - y[0]) / (len(y) - 1)  # (K,)
        steps = np.arange(1, n + 1)[:, None]  # (n, 1)
        return y[-1] + steps * slope
