from __future__ import annotations

import math

import numpy as np
import pytest

from seqcast import SeqcastError
from seqcast.evaluation.metrics import (
    mae,
    mape,
    mase,
    mean_over_series,
    mse,
    rmse,
    seasonal_scale,
    series_scores,
    smape,
)

ACTUAL = np.array([100.0, 200.0, 400.0])
PREDICTED = np.array([110.0, 180.0, 400.0])  # errors 10, -20, 0


def test_known_values() -> None:
    assert mae(ACTUAL, PREDICTED) == pytest.approx(10.0)
    assert mse(ACTUAL, PREDICTED) == pytest.approx(500 / 3)
    assert rmse(ACTUAL, PREDICTED) == pytest.approx(math.sqrt(500 / 3))
    assert mape(ACTUAL, PREDICTED) == pytest.approx(100 * (0.1 + 0.1 + 0.0) / 3)
    assert smape(ACTUAL, PREDICTED) == pytest.approx(100 * (20 / 210 + 40 / 380 + 0) / 3)


def test_mase_scales_by_the_in_sample_seasonal_naive_error() -> None:
    train = np.array([1.0, 3.0, 2.0, 6.0])  # lag-1 abs diffs 2, 1, 4 -> 7/3; lag-2: 1, 3 -> 2
    assert mase(ACTUAL, PREDICTED, train) == pytest.approx(10.0 / (7 / 3))
    assert mase(ACTUAL, PREDICTED, train, m=2) == pytest.approx(10.0 / 2)
    assert math.isnan(mase(ACTUAL, PREDICTED, np.ones(5)))
    periodic = np.sin(2 * np.pi * np.arange(120) / 40)  # lag-40 differences are round-off
    assert math.isnan(mase(ACTUAL, PREDICTED, periodic, m=40))
    assert math.isnan(mase(ACTUAL, PREDICTED, train, m=4))  # no more than m values: no scale
    assert math.isnan(seasonal_scale(train, 4)) and seasonal_scale(train, 3) == 5.0
    with pytest.raises(SeqcastError, match="positive integer, got 0"):
        seasonal_scale(train, 0)


def test_undefined_cases() -> None:
    assert math.isnan(mape([0.0, 1.0], [1.0, 1.0]))
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0
    with pytest.raises(SeqcastError, match=r"differ in shape: \(3,\) vs \(2,\)"):
        mae(ACTUAL, PREDICTED[:2])
    with pytest.raises(SeqcastError, match="no values"):
        mse([], [])


def test_a_metric_over_an_axis_gives_each_row_its_own() -> None:
    actual = np.stack([ACTUAL, 2 * ACTUAL, [0.0, 1.0, 2.0]])  # (3 series, 3 steps)
    predicted = np.stack([PREDICTED, 2 * PREDICTED, [0.0, 1.0, 3.0]])
    for metric in (mae, mse, rmse, mape, smape):
        rows = metric(actual, predicted, axis=1)
        expected = [metric(a, p) for a, p in zip(actual, predicted, strict=True)]
        np.testing.assert_allclose(rows, expected)  # mape: NaN for the row with a zero
    assert math.isnan(mape(actual, predicted, axis=1)[2])


def test_series_scores_give_every_metric_per_series_and_scale_mase() -> None:
    actual = np.array([[[1.0, 2.0]], [[10.0, 10.0]]])  # (N=2, W=1, H=2)
    predicted = np.array([[[2.0, 2.0]], [[10.0, 14.0]]])
    scores = series_scores(actual, predicted, np.array([0.5, np.nan]))
    assert scores["mae"].tolist() == [0.5, 2.0]
    assert scores["mase"][0] == 1.0 and math.isnan(scores["mase"][1])
    assert scores["smape"].tolist() == pytest.approx([100 * (2 / 3) / 2, 100 * (8 / 24) / 2])
    assert mean_over_series(scores["mase"]) == 1.0  # a series without a scale is left out
    per_step = series_scores(actual, predicted, np.array([0.5, 1.0]), axis=1)
    assert per_step["mae"].tolist() == [[1.0, 0.0], [0.0, 4.0]]
    assert per_step["mase"].tolist() == [[2.0, 0.0], [0.0, 4.0]]
