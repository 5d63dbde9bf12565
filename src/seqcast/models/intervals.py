"""Prediction intervals: levels, the quantiles that bound them, and how they are named.

A level L (percent, 0 < L < 100) names the central interval that holds L % of a forecast's
distribution: from its (1 − L/100)/2 quantile to its (1 + L/100)/2 quantile. Bounds of
several levels travel as one last axis of 2·len(levels) values, each level's lower then
upper bound, in the order of ``check_levels`` (ascending). Their columns are
``lo_80, hi_80, lo_95, hi_95``; a forecast frame names them ``{target}_lo_95``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from seqcast.errors import SeqcastError

DEFAULT_LEVELS = (80.0, 95.0)


def check_levels(levels: float | Iterable[float]) -> tuple[float, ...]:
    """The levels (one, or several) sorted and without repeats; an error names one that is
    not a number or lies outside (0, 100)."""
    given = [levels] if isinstance(levels, numbers.Real) else levels
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise SeqcastError(f"levels must be a number or a list of numbers, got {levels!r}")
    items = list(given)
    for level in items:
        if isinstance(level, bool) or not isinstance(level, numbers.Real):
            raise SeqcastError(f"an interval level must be a number, got {level!r}")
    values = sorted({float(level) for level in items})
    if not values:
        raise SeqcastError("give at least one interval level, e.g. 80,95")
    for level in values:
        if not 0 < level < 100:
            raise SeqcastError(
                f"an interval level is a percentage between 0 and 100, got {level:g}"
            )
    return tuple(values)


def level_name(level: float) -> str:
    """``95`` for 95.0, ``97.5`` for 97.5."""
    return f"{level:g}"


def bound_probabilities(levels: Iterable[float]) -> np.ndarray:
    """(2·len(levels),) the quantile levels of each interval's lower and upper bound."""
    tails = [(100 - level) / 200 for level in check_levels(levels)]
    return np.array([p for tail in tails for p in (tail, 1 - tail)])


def bound_columns(levels: Iterable[float]) -> list[str]:
    """``lo_80, hi_80, lo_95, hi_95``: the names of the bounds of checked ``levels`` (none
    for none), in their order."""
    return [f"{side}_{level_name(level)}" for level in levels for side in ("lo", "hi")]


def normal_bounds(mean: np.ndarray, sigma: np.ndarray, levels: Iterable[float]) -> np.ndarray:
    """(..., 2L) bounds of Normal forecasts with these means and deviations (...)."""
    from scipy import special

    z = special.ndtri(bound_probabilities(levels))  # the standard Normal's quantiles
    return np.asarray(mean)[..., None] + np.asarray(sigma)[..., None] * z


def symmetric_bounds(point: np.ndarray, half_widths: np.ndarray) -> np.ndarray:
    """(..., 2L) bounds point ∓ half width, from half widths (..., L) one per level."""
    lower = point[..., None] - half_widths
    upper = point[..., None] + half_widths
    return np.stack([lower, upper], axis=-1).reshape(*lower.shape[:-1], -1)


def ordered(bounds: np.ndarray) -> np.ndarray:
    """Bounds (..., 2L) sorted along the last axis: the levels ascend, so each level's
    quantiles must nest within the next one's (lo_95 ≤ lo_80 ≤ hi_80 ≤ hi_95)."""
    count = bounds.shape[-1] // 2
    # the bounds' quantile levels, ascending: lo of the widest first ... hi of the widest
    order = [2 * i for i in reversed(range(count))] + [2 * i + 1 for i in range(count)]
    ranked = np.sort(bounds[..., order], axis=-1)
    out = np.empty_like(bounds)
    out[..., order] = ranked
    return out
