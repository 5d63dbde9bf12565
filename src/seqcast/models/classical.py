"""The M4 competition's statistical benchmarks, computed as its organisers did (their R code,
"Benchmarks and Evaluation.R", with the forecast package's methods):

- seasonality test: a series of n >= 3m values is seasonal when its autocorrelation at lag
  m lies outside the 90 % band, |r_m| > 1.645 √((1 + 2 Σ_{k<m} r_k²) / n) (and only when
  R's default ACF reaches lag m: floor(10 log10 n) >= m);
- classical multiplicative decomposition (R's ``decompose``): the centred moving average of
  period m is the trend; the series over the trend, averaged at each position of the
  cycle and scaled to mean 1, gives the m seasonal indices;
- every method forecasts the seasonally adjusted series (the series over its indices) and
  multiplies the forecast by the indices carried forward.

``naive2`` repeats the last adjusted value; ``ses``, ``holt`` and ``damped`` are exponential
smoothing (ETS A,N,N; A,A,N; A,Ad,N) fitted by likelihood as R's ``ets`` does (statsmodels'
``ETSModel``); ``theta`` is M4's classic Theta: the mean of the linear trend and SES on the
theta = 2 line; ``comb`` averages ses, holt and damped. A non-seasonal series, m = 1, or a
series with a value <= 0 (a multiplicative index needs positive data) is not adjusted.

Fitting learns the seasonal indices and the smoothing parameters; a forecast from another
history (a backtest without refitting) adjusts it with those indices and runs the smoothing
with those parameters.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from seqcast.data.io import steps_between
from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.intervals import normal_bounds
from seqcast.models.registry import register_model

TCRIT = 1.645  # the 90 % band of M4's seasonality test


def autocorrelation(y: np.ndarray, lags: int) -> np.ndarray:
    """(lags,) r_1..r_lags as R's ``acf``: centred, every sum over n in the denominator."""
    centred = y - y.mean()
    denominator = float(centred @ centred)
    return np.array([centred[k:] @ centred[:-k] / denominator for k in range(1, lags + 1)])


def seasonality_test(y: np.ndarray, m: int) -> bool:
    """M4's test: is ``y`` seasonal with period ``m``?"""
    n = len(y)
    if m <= 1 or n < 3 * m or math.floor(10 * math.log10(n)) < m or np.ptp(y) == 0:
        return False  # too short, or a constant: no autocorrelation to test
    r = autocorrelation(np.asarray(y, dtype=float), m)
    limit = TCRIT * math.sqrt((1 + 2 * float(np.sum(r[: m - 1] ** 2))) / n)
    return bool(abs(r[m - 1]) > limit)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """(m,) the multiplicative seasonal indices of ``y``, position 0 being its first value."""
    y = np.asarray(y, dtype=float)
    # an even m takes a 2 x m moving average: half weights at both ends
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(len(y), np.nan)
    trend[half : len(y) - half] = np.convolve(y, weights, mode="valid")
    ratio = y / trend
    known = ~np.isnan(ratio)  # each position's mean over its known ratios (np.nanmean's sum)
    filled = np.where(known, ratio, 0.0)
    figure = np.array([filled[i::m].sum() / np.count_nonzero(known[i::m]) for i in range(m)])
    return figure / figure.mean()


@dataclass
class _Adjusted(Forecaster):
    """A method on the seasonally adjusted series (see the module docstring).

    season : m, the period of the seasonality test and the decomposition (1: none).
    """

    season: int = 1

    def __post_init__(self) -> None:
        if self.season < 1:
            raise SeqcastError(f"{self.name}: season must be at least 1, got {self.season}")

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        return {"season": season}

    @property
    def min_history(self) -> int:
        return 3

    @property
    def preload(self) -> tuple[str, ...]:
        return ("statsmodels.tsa.exponential_smoothing.ets",)

    def _fit(self, data: pd.DataFrame) -> None:
        self.indices_: dict[str, np.ndarray | None] = {}
        self.fits_: dict[str, Any] = {}
        for column in self.targets_:
            y = data[column].to_numpy(dtype=float)
            seasonal = self.season > 1 and bool((y > 0).all()) and seasonality_test(y, self.season)
            indices = seasonal_indices(y, self.season) if seasonal else None
            self.indices_[column] = indices
            self.fits_[column] = self._estimate(_adjust(y, indices, 0))

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        phase = steps_between(self.history_.index[0], history.index[0], self.freq_)
        columns = []
        for column in self.targets_:
            indices = self.indices_[column]
            y = history[column].to_numpy(dtype=float)
            adjusted = _adjust(y, indices, phase)
            forecast = self._forecast(self.fits_[column], adjusted, n, history is self.history_)
            if indices is not None:
                forecast = forecast * indices[(phase + len(y) + np.arange(n)) % self.season]
            columns.append(forecast)
        return np.stack(columns, axis=1)  # (n, K)

    @property
    def has_intervals(self) -> bool:
        return type(self)._spread is not _Adjusted._spread

    def _predict_bounds(
        self,
        history: pd.DataFrame,
        n: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """Normal bounds on the adjusted series (deviation ``_spread``), times the seasonal
        indices, like the forecasts."""
        phase = steps_between(self.history_.index[0], history.index[0], self.freq_)
        point = self._predict(history, n)  # (n, K)
        columns = []
        for k, column in enumerate(self.targets_):
            indices = self.indices_[column]
            y = history[column].to_numpy(dtype=float)
            factor = (
                1.0 if indices is None else indices[(phase + len(y) + np.arange(n)) % self.season]
            )
            spread = self._spread(self.fits_[column], _adjust(y, indices, phase), n)
            columns.append(
                normal_bounds(point[:, k] / factor, spread, levels) * np.reshape(factor, (-1, 1))
            )
        return np.stack(columns, axis=1)  # (n, K, 2L)

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        """Each series fitted from its first values as ``_fit`` does (the seasonality test,
        the indices, ``_estimate``), then forecast from each origin as ``_predict`` does:
        the same numbers, without a frame per series."""
        out = np.empty((*origins.shape, h))
        for i, (start, length) in enumerate(zip(starts, fitted, strict=True)):
            part = y[start : start + length]
            seasonal = self.season > 1 and bool((part > 0).all())
            seasonal = seasonal and seasonality_test(part, self.season)
            indices = seasonal_indices(part, self.season) if seasonal else None
            fit = self._estimate(_adjust(part, indices, 0))
            for j, origin in enumerate(origins[i]):
                history = y[start : origin + 1]
                forecast = self._forecast(fit, _adjust(history, indices, 0), h, False)
                if indices is not None:
                    forecast = forecast * indices[(len(history) + np.arange(h)) % self.season]
                out[i, j] = forecast
        return out

    def _estimate(self, adjusted: np.ndarray) -> Any:
        """What the method learns from the adjusted training series."""
        return None

    def _spread(self, fit: Any, adjusted: np.ndarray, n: int) -> np.ndarray:
        """(n,) the deviation of the adjusted forecasts' errors at each step ahead."""
        raise NotImplementedError

    def _forecast(self, fit: Any, adjusted: np.ndarray, n: int, same: bool) -> np.ndarray:
        """(n,) forecasts of the adjusted series ``adjusted`` (``same``: the fitted one)."""
        raise NotImplementedError


@register_model("naive2")
@dataclass
class Naive2(_Adjusted):
    """M4's Naive2: the last seasonally adjusted value, times the seasonal indices."""

    def _forecast(self, fit: Any, adjusted: np.ndarray, n: int, same: bool) -> np.ndarray:
        return np.repeat(adjusted[-1], n)

    def _spread(self, fit: Any, adjusted: np.ndarray, n: int) -> np.ndarray:
        """Naive's: σ·√h, σ the root mean square of the adjusted series' changes."""
        sigma = np.sqrt(np.mean(np.diff(adjusted) ** 2)) if len(adjusted) > 1 else 0.0
        return sigma * np.sqrt(np.arange(1, n + 1))


@dataclass
class _Smoothing(_Adjusted):
    """Exponential smoothing of the adjusted series (ETS with additive errors)."""

    trend: ClassVar[str | None] = None
    damped: ClassVar[bool] = False

    def _estimate(self, adjusted: np.ndarray) -> Any:
        return _ets_fit(adjusted, self.trend, self.damped)

    def _forecast(self, fit: Any, adjusted: np.ndarray, n: int, same: bool) -> np.ndarray:
        return _ets_forecast(fit, adjusted, n, same, self.trend, self.damped)


@register_model("ses")
@dataclass
class SES(_Smoothing):
    """Simple exponential smoothing (ETS A,N,N) of the seasonally adjusted series."""

    def _spread(self, fit: Any, adjusted: np.ndarray, n: int) -> np.ndarray:
        return _ses_spread(fit, n)


@register_model("holt")
@dataclass
class Holt(_Smoothing):
    """Holt's linear trend (ETS A,A,N) on the seasonally adjusted series."""

    trend: ClassVar[str | None] = "add"


@register_model("damped")
@dataclass
class Damped(_Smoothing):
    """Holt's damped trend (ETS A,Ad,N) on the seasonally adjusted series."""

    trend: ClassVar[str | None] = "add"
    damped: ClassVar[bool] = True


@register_model("comb")
@dataclass
class Comb(_Adjusted):
    """M4's Comb: the mean of SES, Holt and Damped."""

    def _estimate(self, adjusted: np.ndarray) -> Any:
        return [_ets_fit(adjusted, trend, damped) for trend, damped in _COMB]

    def _forecast(self, fit: Any, adjusted: np.ndarray, n: int, same: bool) -> np.ndarray:
        parts = [
            _ets_forecast(f, adjusted, n, same, trend, damped)
            for f, (trend, damped) in zip(fit, _COMB, strict=True)
        ]
        return np.mean(parts, axis=0)


@register_model("theta")
@dataclass
class Theta(_Adjusted):
    """M4's classic Theta: the mean of the least-squares line through the adjusted series
    (theta = 0) and SES of the theta = 2 line, 2·y - line."""

    def _estimate(self, adjusted: np.ndarray) -> Any:
        line, _ = _trend_line(adjusted, 0)
        return _ets_fit(2 * adjusted - line, None, False)

    def _forecast(self, fit: Any, adjusted: np.ndarray, n: int, same: bool) -> np.ndarray:
        line, ahead = _trend_line(adjusted, n)
        ses = _ets_forecast(fit, 2 * adjusted - line, n, same, None, False)
        return 0.5 * ses + 0.5 * ahead

    def _spread(self, fit: Any, adjusted: np.ndarray, n: int) -> np.ndarray:
        """Half the SES deviation of the theta = 2 line (the line taken as known)."""
        return 0.5 * _ses_spread(fit, n)


_COMB = ((None, False), ("add", False), ("add", True))


def _adjust(y: np.ndarray, indices: np.ndarray | None, phase: int) -> np.ndarray:
    """``y`` over its seasonal indices; its first value sits at ``phase`` in the cycle."""
    if indices is None:
        return y
    return y / indices[(phase + np.arange(len(y))) % len(indices)]


def _trend_line(y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares line a + b·t through y (t = 1..T) and its next ``n`` values."""
    t = np.arange(1, len(y) + 1, dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    ahead = np.arange(len(y) + 1, len(y) + n + 1, dtype=float)
    return intercept + slope * t, intercept + slope * ahead


def _ets_model(y: np.ndarray, trend: str | None, damped: bool) -> Any:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(y, error="add", trend=trend, damped_trend=damped)


def _ets_fit(y: np.ndarray, trend: str | None, damped: bool) -> Any:
    """statsmodels' maximum-likelihood ETS fit (its results object)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the fit is still the MLE
        return _ets_model(y, trend, damped).fit(disp=False)


def _ses_spread(fit: Any, n: int) -> np.ndarray:
    """(n,) ETS(A,N,N)'s forecast deviation σ·√(1 + (h − 1)·α²), from its fitted results."""
    alpha = float(fit.params[0])  # smoothing_level
    return np.sqrt(fit.mse * (1 + np.arange(n) * alpha**2))


def _ets_forecast(
    fit: Any, y: np.ndarray, n: int, same: bool, trend: str | None, damped: bool
) -> np.ndarray:
    """(n,) forecasts after ``y``: the fitted results' own when ``same``, else the fitted
    parameters run over ``y``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = fit if same else _ets_model(y, trend, damped).smooth(fit.params)
        return np.asarray(results.forecast(n), dtype=float)
