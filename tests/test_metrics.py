from __future__ import annotations

import math

import numpy as np
import pytest

from seqcast import SeqcastError
from seqcast.evaluation.metrics import mae, mape, mase, mse, rmse, smape

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
    with pytest.raises(SeqcastError, match="m=4 needs more than 4 training values"):
        mase(ACTUAL, PREDICTED, train, m=4)


def test_undefined_cases() -> None:
    assert math.isnan(mape([0.0, 1.0], [1.0, 1.0]))
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0
    with pytest.raises(SeqcastError, match=r"differ in shape: \(3,\) vs \(2,\)"):
        mae(ACTUAL, PREDICTED[:2])
    with pytest.raises(SeqcastError, match="no values"):
        mse([], [])
