"""Scores of probabilistic forecasts: quantiles, intervals and samples.

Symbols: any leading shape (...), Q quantile levels, S samples. Every function takes the
truth ``y`` of shape (...) and returns the mean over all its values, so one call scores a
whole backtest.

- ``pinball_loss(y, q, level)``: the quantile score, level·(y − q) when y ≥ q, else
  (1 − level)·(q − y); a forecast's ``level`` quantile minimises its expectation.
- ``coverage(y, lower, upper)``: the share of values inside [lower, upper];
  ``interval_width``: the mean of upper − lower.
- ``msis(y, lower, upper, train, m, alpha)``: M4's mean scaled interval score, the
  interval score (upper − lower) + 2/alpha·(lower − y)·1{y < lower} + 2/alpha·(y −
  upper)·1{y > upper}, averaged and divided by the in-sample seasonal-naive MAE of
  ``train`` (MASE's scale) — for a (1 − alpha) interval; M4 scored alpha = 0.05.
  ``interval_score`` gives that score per value, unaveraged (a panel scores it per step).
- ``crps_samples(y, samples)``: the CRPS of the samples' empirical distribution,
  E|X − y| − ½·E|X − X'| (the energy form, exact for that distribution);
  ``crps_quantiles(y, quantiles, levels)``: its approximation from quantiles, twice the
  mean pinball loss over the levels.

``interval_scores`` gives a backtest's columns for intervals at levels L (percent):
``coverage_L`` (a share, 0..1), ``width_L`` and ``msis_L`` (alpha = 1 − L/100), and the
pinball loss of each bound as the quantile it is, ``pinball_P`` (P its level, 0.025 for
the lower bound of a 95 % interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.evaluation.metrics import Axis
from seqcast.models.intervals import level_name


def pinball_loss(y: ArrayLike, quantile: ArrayLike, level: float, axis: Axis = None) -> Any:
    """The mean pinball loss of the ``level`` quantile forecasts (same shape as ``y``)."""
    truth, q = _same_shape(y, quantile, "quantile")
    _check_level(level)
    gap = truth - q
    return _mean(np.maximum(level * gap, (level - 1) * gap), axis)


def coverage(y: ArrayLike, lower: ArrayLike, upper: ArrayLike, axis: Axis = None) -> Any:
    """The share of ``y`` inside [lower, upper] (bounds included)."""
    truth, low = _same_shape(y, lower, "lower")
    _, high = _same_shape(y, upper, "upper")
    return _mean((truth >= low) & (truth <= high), axis)


def interval_width(lower: ArrayLike, upper: ArrayLike, axis: Axis = None) -> Any:
    """The mean of ``upper - lower``."""
    low, high = _same_shape(lower, upper, "upper")
    return _mean(high - low, axis)


def msis(
    y: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    train: ArrayLike,
    m: int = 1,
    alpha: float = 0.05,
) -> float:
    """M4's MSIS of (1 - ``alpha``) intervals for ``y`` (1-D: one series' steps), scaled
    by the seasonal-naive MAE (period ``m``) of ``train``, the data before them (NaN for a
    flat or too short history: ``seqcast.evaluation.metrics.seasonal_scale``)."""
    truth, low = _same_shape(y, lower, "lower")
    _, high = _same_shape(y, upper, "upper")
    if not 0 < alpha < 1:
        raise SeqcastError(f"alpha must lie between 0 and 1, got {alpha!r}")
    scale = metrics.seasonal_scale(train, m)
    return float(np.mean(interval_score(truth, low, high, alpha))) / scale


def interval_score(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float) -> np.ndarray:
    """The interval score of each value (same shapes, not averaged): the width plus
    2/alpha times the distance by which ``y`` falls outside [lower, upper]."""
    below = (lower - y) * (y < lower)
    above = (y - upper) * (y > upper)
    return (upper - lower) + 2 / alpha * (below + above)


def crps_samples(y: ArrayLike, samples: ArrayLike) -> float:
    """The mean CRPS of sample forecasts: ``samples`` has the shape of ``y`` plus a last
    axis of S samples; each value's empirical distribution is scored exactly."""
    truth = np.asarray(y, dtype=float)
    draws = np.sort(np.asarray(samples, dtype=float), axis=-1)
    if draws.shape[:-1] != truth.shape or draws.shape[-1] < 1:
        raise SeqcastError(
            f"samples must have the shape of the truth {truth.shape} plus a sample axis, "
            f"got {draws.shape}"
        )
    count = draws.shape[-1]
    to_truth = np.mean(np.abs(draws - truth[..., None]), axis=-1)
    # E|X - X'| over ordered samples: 2/S^2 sum_i (2i - S - 1) x_(i), i = 1..S
    weights = 2 * np.arange(1, count + 1) - count - 1
    spread = 2 * np.sum(weights * draws, axis=-1) / count**2
    return float(np.mean(to_truth - spread / 2))


def crps_quantiles(y: ArrayLike, quantiles: ArrayLike, levels: ArrayLike) -> float:
    """The CRPS approximated from quantile forecasts: twice the mean pinball loss over the
    Q ``levels``; ``quantiles`` has the shape of ``y`` plus a last axis of Q."""
    truth = np.asarray(y, dtype=float)
    q = np.asarray(quantiles, dtype=float)
    taus = np.asarray(levels, dtype=float)
    if q.shape != (*truth.shape, len(taus)):
        raise SeqcastError(
            f"quantiles must have the shape of the truth {truth.shape} plus {len(taus)} "
            f"levels, got {q.shape}"
        )
    for level in taus:
        _check_level(float(level))
    gap = truth[..., None] - q
    losses = np.maximum(taus * gap, (taus - 1) * gap)  # (..., Q)
    return float(2 * np.mean(losses))


def interval_scores(
    y: np.ndarray, bounds: np.ndarray, scales: np.ndarray, levels: Sequence[float]
) -> dict[str, float]:
    """Coverage, width, each bound's pinball loss and MSIS of each level's intervals over
    all values: ``y`` (..., K) the truth, ``bounds`` (..., K, 2L)
    (``seqcast.models.intervals``), ``scales`` (K,) each target's MSIS scale (MASE's; the
    MSIS is averaged over the K targets like MASE)."""
    scores = {}
    for i, level in enumerate(levels):
        name = level_name(level)
        lower, upper = bounds[..., 2 * i], bounds[..., 2 * i + 1]
        scores[f"coverage_{name}"] = coverage(y, lower, upper)
        scores[f"width_{name}"] = interval_width(lower, upper)
        alpha = 1 - level / 100
        for bound, probability in ((lower, alpha / 2), (upper, 1 - alpha / 2)):
            scores[f"pinball_{probability:g}"] = pinball_loss(y, bound, probability)
        per_target = [
            float(np.mean(interval_score(y[..., k], lower[..., k], upper[..., k], alpha)))
            / scales[k]
            for k in range(y.shape[-1])
        ]
        scores[f"msis_{name}"] = float(np.mean(per_target))
    return scores


def _mean(values: np.ndarray, axis: Axis) -> Any:
    return float(np.mean(values)) if axis is None else np.mean(values, axis=axis)


def _same_shape(a: ArrayLike, b: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if first.shape != second.shape:
        raise SeqcastError(f"{name} has shape {second.shape}, the truth {first.shape}")
    if first.size == 0:
        raise SeqcastError("no values to score")
    return first, second


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise SeqcastError(f"a quantile level lies strictly between 0 and 1, got {level!r}")
