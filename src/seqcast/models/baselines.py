"""Baselines every model must beat. Each forecasts from the observed history alone.

They learn nothing in ``fit``: a forecast from any origin uses the values up to that origin,
so refitting in a backtest changes nothing.

Their intervals assume Normal errors whose deviation at step h grows as the method implies
(Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., 5.5), σ being
the root mean square of the method's one-step residuals on the history:

- naive: σ·√h; seasonal naive: σ·√(k + 1), k the whole seasons before step h;
- mean: σ·√(1 + 1/T); drift: σ·√(h·(1 + h/T)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.intervals import normal_bounds
from seqcast.models.registry import register_model


def _residual_scale(residuals: np.ndarray, parameters: int = 0) -> np.ndarray:
    """(K,) the root mean square of residuals (R, K), over R − ``parameters`` degrees of
    freedom (at least one)."""
    return np.sqrt(np.sum(residuals**2, axis=0) / max(len(residuals) - parameters, 1))


@dataclass
class _NormalErrors(Forecaster):
    """A baseline whose intervals are Normal around its forecast, with the deviation its
    ``_spread`` gives."""

    def _predict_bounds(
        self,
        history: pd.DataFrame,
        n: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        sigma, growth = self._spread(history[self.targets_].to_numpy(dtype=float), n)
        return normal_bounds(self._predict(history, n), sigma[None, :] * growth[:, None], levels)

    def _spread(self, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """σ (K,) of the one-step residuals on the history y (T, K), and the growth (n,)
        of the deviation at each step ahead."""
        raise NotImplementedError


@register_model("naive")
@dataclass
class Naive(_NormalErrors):
    """Every step repeats the last observed value."""

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)  # (T, K)
        return np.repeat(y[-1:], n, axis=0)

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        return np.repeat(y[origins][..., None], h, axis=-1)

    def _spread(self, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        return _residual_scale(np.diff(y, axis=0)), np.sqrt(np.arange(1, n + 1))


@register_model("seasonal_naive")
@dataclass
class SeasonalNaive(_NormalErrors):
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

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        back = 1 - self.season + np.arange(h) % self.season  # step h's row, from the origin
        return y[origins[..., None] + back]

    def _spread(self, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        seasons = np.arange(n) // self.season  # k: whole seasons before step h
        return _residual_scale(y[self.season :] - y[: -self.season]), np.sqrt(seasons + 1.0)


@register_model("mean")
@dataclass
class Mean(_NormalErrors):
    """Every step is the mean of all observed values."""

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        y = history[self.targets_].to_numpy(dtype=float)
        return np.repeat(y.mean(axis=0, keepdims=True), n, axis=0)

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        means = np.array(  # each window's history: np.mean's own summation, as _predict
            [
                [y[s : o + 1, None].mean(axis=0)[0] for o in row]
                for s, row in zip(starts, origins, strict=True)
            ]
        )
        return np.repeat(means[..., None], h, axis=-1)

    def _spread(self, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        sigma = _residual_scale(y - y.mean(axis=0), parameters=1)
        return sigma, np.full(n, np.sqrt(1 + 1 / len(y)))


@register_model("drift")
@dataclass
class Drift(_NormalErrors):
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

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        last = y[origins]  # (N, W)
        slope = (last - y[starts][:, None]) / (origins - starts[:, None])
        return last[..., None] + np.arange(1, h + 1) * slope[..., None]

    def _spread(self, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        slope = (y[-1] - y[0]) / (len(y) - 1)
        sigma = _residual_scale(np.diff(y, axis=0) - slope, parameters=1)
        h = np.arange(1, n + 1)
        return sigma, np.sqrt(h * (1 + h / len(y)))
