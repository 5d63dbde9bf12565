"""Forecast error metrics: free functions of arrays of the same shape, returning a float.

MAPE and sMAPE are in percent. MAPE is NaN when an actual value is zero (it is undefined
there); sMAPE counts a step where both values are zero as no error. MASE divides by the
in-sample MAE of the seasonal-naive forecast (season ``m``) on the training series, and is
NaN when that forecast is perfect in-sample (its error is zero up to round-off). sMAPE and
MASE are the M4 competition's definitions; ``owa`` combines them relative to Naive2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from seqcast.errors import SeqcastError


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(np.sqrt(mse(y_true, y_pred)))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    t, p = _pair(y_true, y_pred)
    if np.any(t == 0):
        return float("nan")
    return float(100 * np.mean(np.abs((t - p) / t)))


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(100 * np.mean(smape_ratios(*_pair(y_true, y_pred))))


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
    return mae(y_true, y_pred) / seasonal_scale(y_train, m)


def seasonal_scale(y_train: ArrayLike, m: int = 1, what: str = "MASE") -> float:
    """The in-sample seasonal-naive MAE of ``y_train`` (period ``m``), the scale of MASE
    and MSIS; NaN when it is zero up to round-off (the scaled error is undefined)."""
    train = np.asarray(y_train, dtype=float)
    if m < 1 or len(train) <= m:
        raise SeqcastError(
            f"{what} with season m={m} needs more than {m} training values, got {len(train)}"
        )
    scale = float(np.mean(np.abs(train[m:] - train[:-m])))
    if scale <= 1e-12 * float(np.mean(np.abs(train))):  # zero up to round-off: undefined
        return float("nan")
    return scale


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """M4's overall weighted average: the mean of sMAPE and MASE, each relative to Naive2's
    (both are averages over the same series; 1 is Naive2's own score, lower is better)."""
    if smape_naive2 <= 0 or mase_naive2 <= 0:
        raise SeqcastError(
            f"OWA needs Naive2's sMAPE and MASE above 0, got {smape_naive2} and {mase_naive2}"
        )
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2)


METRICS: dict[str, Callable[[ArrayLike, ArrayLike], float]] = {
    "mae": mae,
    "mape": mape,
    "smape": smape,
    "mse": mse,
    "rmse": rmse,
}


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if t.shape != p.shape:
        raise SeqcastError(f"actual and predicted values differ in shape: {t.shape} vs {p.shape}")
    if t.size == 0:
        raise SeqcastError("no values to score")
    return t, p
