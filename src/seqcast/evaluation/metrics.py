"""Forecast error metrics: free functions of arrays of the same shape.

``mae(y_true, y_pred)`` is the mean over every value, a float; with ``axis`` it is the mean
over those axes only, an array (``mae(actual, predicted, axis=1)`` of (N, H) arrays gives
each of N series its own). MAPE and sMAPE are in percent. MAPE is NaN when an actual value
is zero (it is undefined there); sMAPE counts a step where both values are zero as no
error. MASE divides by the in-sample MAE of the seasonal-naive forecast (season ``m``) on
the training series, ``seasonal_scale``, which is NaN when that forecast is perfect
in-sample (its error is zero up to round-off) or the series has no more than m values.
sMAPE and MASE are the M4 competition's definitions; ``owa`` combines them relative to
Naive2.

``METRICS`` lists every metric that backtests, panels, leaderboards and tables report, in
their order: a metric added there reaches all of them. ``scores`` pools each over a
series' forecasts, ``series_scores`` gives each series of a panel its own.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from seqcast.errors import SeqcastError

Axis = int | tuple[int, ...] | None


def mae(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = None) -> Any:
    t, p = _pair(y_true, y_pred)
    return _mean(np.abs(t - p), axis)


def mse(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = None) -> Any:
    t, p = _pair(y_true, y_pred)
    return _mean((t - p) ** 2, axis)


def rmse(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = None) -> Any:
    root = np.sqrt(mse(y_true, y_pred, axis))
    return float(root) if axis is None else root


def mape(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = None) -> Any:
    t, p = _pair(y_true, y_pred)
    zero = np.any(t == 0, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = 100 * _mean(np.abs((t - p) / t), axis)
    if axis is None:
        return float("nan") if zero else float(percent)
    return np.where(zero, np.nan, percent)


def smape(y_true: ArrayLike, y_pred: ArrayLike, axis: Axis = None) -> Any:
    ratios = smape_ratios(*_pair(y_true, y_pred))
    if axis is None:
        return float(100 * np.mean(ratios))
    return 100 * np.mean(ratios, axis=axis)


def smape_ratios(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Each value's 2 |y - f| / (|y| + |f|) (0 where both are 0), same shape; sMAPE is 100
    times their mean."""
    denominator = np.abs(y_true) + np.abs(y_pred)
    return np.divide(
        2 * np.abs(y_true - y_pred),
        denominator,
        out=np.zeros_like(denominator, dtype=float),
        where=denominator != 0,
    )


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike, m: int = 1) -> float:
    return float(mae(y_true, y_pred)) / seasonal_scale(y_train, m)


def seasonal_scale(y_train: ArrayLike, m: int = 1) -> float:
    """The in-sample seasonal-naive MAE of ``y_train`` (period ``m``), the scale of MASE
    and MSIS; NaN when the series has m values or fewer, or the MAE is zero up to round-off
    (a scaled error is undefined then)."""
    train = np.asarray(y_train, dtype=float)
    return float(seasonal_scales(train, np.array([0]), np.array([len(train)]), m)[0])


def seasonal_scales(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, m: int) -> np.ndarray:
    """(N,) ``seasonal_scale(values[starts[i]:ends[i]], m)`` of each series of a grouped
    array: each a mean over its own slice, the differences taken once for all."""
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise SeqcastError(f"the season m of a seasonal scale is a positive integer, got {m!r}")
    changes = np.abs(values[m:] - values[:-m])  # changes[t]: from row t to row t + m
    sizes = np.abs(values)
    out = np.full(len(starts), np.nan)
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if end - start > m:
            scale = float(changes[start : end - m].mean())
            if scale > 1e-12 * float(sizes[start:end].mean()):  # else zero up to round-off
                out[i] = scale
    return out


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """M4's overall weighted average: the mean of sMAPE and MASE, each relative to Naive2's
    (both are averages over the same series; 1 is Naive2's own score, lower is better)."""
    if smape_naive2 <= 0 or mase_naive2 <= 0:
        raise SeqcastError(
            f"OWA needs Naive2's sMAPE and MASE above 0, got {smape_naive2} and {mase_naive2}"
        )
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2)


@dataclass(frozen=True)
class Metric:
    """A point forecast's metric: ``score(y_true, y_pred, axis)``; a ``scaled`` one is then
    divided by the series' ``seasonal_scale`` (MASE is the scaled MAE); ``unit`` labels it
    in tables ("%")."""

    score: Callable[..., Any]
    scaled: bool = False
    unit: str = ""

    def label(self, name: str) -> str:
        """The metric's column title: its name, and its unit when it has one."""
        return f"{name} {self.unit}" if self.unit else name


METRICS: dict[str, Metric] = {
    "mae": Metric(mae),
    "rmse": Metric(rmse),
    "mse": Metric(mse),
    "mape": Metric(mape, unit="%"),
    "smape": Metric(smape, unit="%"),
    "mase": Metric(mae, scaled=True),
}


def scores(actual: np.ndarray, predicted: np.ndarray, scales: np.ndarray) -> dict[str, float]:
    """Every metric of one series' forecasts ``actual``, ``predicted`` (..., K) over all
    their values; a scaled metric for each target k over ``scales[k]`` (K,), then averaged
    over the targets."""
    out = {}
    for name, metric in METRICS.items():
        if metric.scaled:
            columns = [
                float(metric.score(actual[..., k], predicted[..., k])) / scales[k]
                for k in range(actual.shape[-1])
            ]
            out[name] = float(np.mean(columns))
        else:
            out[name] = float(metric.score(actual, predicted))
    return out


def series_scores(
    actual: np.ndarray, predicted: np.ndarray, scales: np.ndarray, axis: Axis = None
) -> dict[str, np.ndarray]:
    """Every metric of each series: ``actual`` and ``predicted`` (N, ...) hold a series'
    forecasts along the other axes (or only along ``axis``), ``scales`` (N,) its seasonal
    scale. Returns (N,) per metric (the shape the reduction over ``axis`` leaves)."""
    over = tuple(range(1, actual.ndim)) if axis is None else axis
    out = {}
    for name, metric in METRICS.items():
        value = metric.score(actual, predicted, over)
        if metric.scaled:
            value = value / scales.reshape(-1, *[1] * (np.ndim(value) - 1))
        out[name] = value
    return out


def mean_over_series(values: ArrayLike, axis: int = 0) -> Any:
    """The mean over series of their scores (M4's averages), leaving out the series where
    a score is undefined (NaN); NaN when it is undefined for all of them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every one NaN: NaN, said by the value
        return np.nanmean(np.asarray(values, dtype=float), axis=axis)


def _mean(values: np.ndarray, axis: Axis) -> Any:
    if axis is None:
        return float(np.mean(values))
    return np.mean(values, axis=axis)


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if t.shape != p.shape:
        raise SeqcastError(f"actual and predicted values differ in shape: {t.shape} vs {p.shape}")
    if t.size == 0:
        raise SeqcastError("no values to score")
    return t, p
