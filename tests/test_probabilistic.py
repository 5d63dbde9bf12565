"""Scores of probabilistic forecasts (issue 13's metrics): hand-worked pinball and MSIS,
coverage and width, CRPS against the scoringrules library."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scoringrules as sr

from seqcast.errors import SeqcastError
from seqcast.evaluation.probabilistic import (
    coverage,
    crps_quantiles,
    crps_samples,
    interval_width,
    msis,
    pinball_loss,
)


def test_pinball_loss_by_hand() -> None:
    # y - q = 2 (under): 0.9 * 2 = 1.8; y - q = -3 (over): 0.1 * 3 = 0.3; mean 1.05
    assert pinball_loss([10.0, 10.0], [8.0, 13.0], 0.9) == pytest.approx(1.05)
    # the median's pinball loss is half the absolute error
    assert pinball_loss([1.0, 4.0], [2.0, 2.0], 0.5) == pytest.approx(0.75)


def test_msis_coverage_and_width_by_hand() -> None:
    y, lower, upper = [10.0, 10.0, 10.0], [9.0, 11.0, 5.0], [11.0, 12.0, 8.0]
    train = [1.0, 2.0, 3.0, 4.0, 5.0]  # seasonal-naive MAE with m = 1: 1
    # inside: width 2; below by 1: 1 + 40 * 1 = 41; above by 2: 3 + 40 * 2 = 83
    assert msis(y, lower, upper, train, m=1, alpha=0.05) == pytest.approx(42.0)
    assert msis(y, lower, upper, [0.0, 2.0, 0.0, 2.0], m=1) == pytest.approx(21.0)  # scale 2
    assert coverage(y, lower, upper) == pytest.approx(1 / 3)
    assert interval_width(lower, upper) == pytest.approx(2.0)
    assert np.isnan(msis(y, lower, upper, [3.0, 3.0, 3.0], m=1))  # a flat history: no scale


def test_crps_of_samples_equals_the_reference_library() -> None:
    rng = np.random.default_rng(7)
    y = rng.normal(size=(20, 6))
    samples = rng.normal(loc=0.3, scale=1.4, size=(20, 6, 50))
    expected = float(np.mean(sr.crps_ensemble(y, samples, estimator="nrg", backend="numpy")))
    assert crps_samples(y, samples) == pytest.approx(expected, rel=1e-12)
    assert crps_samples([2.0], [[5.0]]) == pytest.approx(3.0)  # one sample: |x - y|


def test_crps_of_quantiles_equals_the_reference_library() -> None:
    rng = np.random.default_rng(8)
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    y = rng.normal(size=30)
    quantiles = np.sort(rng.normal(size=(30, 5)), axis=-1)
    expected = float(np.mean(sr.crps_quantile(y, quantiles, levels, backend="numpy")))
    assert crps_quantiles(y, quantiles, levels) == pytest.approx(expected, rel=1e-12)


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(SeqcastError, match=r"quantile has shape \(3,\), the truth \(2,\)"):
        pinball_loss([1.0, 2.0], [1.0, 2.0, 3.0], 0.5)
    with pytest.raises(SeqcastError, match="strictly between 0 and 1, got 1.5"):
        pinball_loss([1.0], [1.0], 1.5)
    with pytest.raises(SeqcastError, match="alpha must lie between 0 and 1"):
        msis([1.0], [0.0], [2.0], [1.0, 2.0, 3.0], alpha=0.0)
    assert math.isnan(msis([1.0], [0.0], [2.0], [1.0, 2.0, 3.0], m=24))  # too short: no scale
    with pytest.raises(SeqcastError, match="plus a sample axis"):
        crps_samples([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(SeqcastError, match="plus 2 levels"):
        crps_quantiles([1.0], [[1.0, 2.0, 3.0]], [0.25, 0.75])
