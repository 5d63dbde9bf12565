from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seqcast import SeqcastError
from seqcast.data.transforms import Difference, MinMaxScaler, StandardScaler

finite = st.floats(-1e6, 1e6, allow_nan=False)


def test_difference_known_values() -> None:
    x = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(Difference().transform(x), [3, 5, 7, 9])
    np.testing.assert_array_equal(Difference(order=2).transform(x), [2, 2, 2])
    np.testing.assert_array_equal(Difference(lag=2).transform(x), [8, 12, 16])


def test_seasonal_difference_of_a_dataframe_keeps_the_index() -> None:
    index = pd.date_range("2020-01-01", periods=10, freq="D")
    frame = pd.DataFrame({"y": np.arange(10.0) ** 2}, index=index)
    out = Difference(lag=7).transform(frame)
    assert list(out.index) == list(index[7:])
    np.testing.assert_array_equal(out["y"], [49 - 0, 64 - 1, 81 - 4])


@settings(max_examples=60, deadline=None)
@given(
    arrays(float, st.tuples(st.integers(10, 40), st.integers(1, 3)), elements=finite),
    st.integers(1, 4),
    st.integers(1, 2),
)
def test_difference_round_trips(x: np.ndarray, lag: int, order: int) -> None:
    diff = Difference(lag, order)
    back = diff.inverse(diff.transform(x), history=x[: diff.span])
    np.testing.assert_allclose(back, x[diff.span :], rtol=1e-9, atol=1e-6)


def test_inverse_continues_from_the_observed_history() -> None:
    # A forecast of differences turns into a forecast of levels after the history.
    history = np.array([10.0, 12.0, 15.0])
    np.testing.assert_array_equal(Difference().inverse(np.array([1.0, 2.0]), history), [16, 18])
    weekly = np.arange(14.0)  # lag-7 differences are all 7
    np.testing.assert_array_equal(Difference(lag=7).inverse(np.full(3, 7.0), weekly), [14, 15, 16])


def test_difference_bad_input() -> None:
    with pytest.raises(SeqcastError, match="lag >= 1"):
        Difference(lag=0)
    with pytest.raises(SeqcastError, match="needs more than 7 steps, got 5"):
        Difference(lag=7).transform(np.arange(5.0))
    with pytest.raises(SeqcastError, match="needs the 2 values before"):
        Difference(order=2).inverse(np.ones(3), np.ones(1))


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite))
def test_scalers_round_trip(x: np.ndarray) -> None:
    for scaler in (StandardScaler(), MinMaxScaler(), MinMaxScaler((-1, 1))):
        back = scaler.inverse_transform(scaler.fit_transform(x))
        np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-6)


def test_scalers_are_fitted_on_the_training_part_only() -> None:
    train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    later = np.array([[7.0, 20.0]])
    standard = StandardScaler().fit(train)
    np.testing.assert_allclose(standard.shift_, [3.0, 10.0])
    np.testing.assert_allclose(standard.scale_, [np.sqrt(8 / 3), 1.0])  # ddof 0; constant -> 1
    np.testing.assert_allclose(standard.transform(later), [[4 / np.sqrt(8 / 3), 10.0]])
    minmax = MinMaxScaler().fit(train)
    np.testing.assert_allclose(minmax.transform(train)[:, 0], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(minmax.transform(later), [[1.5, 10.0]])


def test_scaler_bad_input() -> None:
    with pytest.raises(SeqcastError, match="not fitted"):
        StandardScaler().transform(np.ones((2, 1)))
    with pytest.raises(SeqcastError, match="fitted on 2 columns, got 3"):
        StandardScaler().fit(np.ones((4, 2))).transform(np.ones((4, 3)))
    with pytest.raises(SeqcastError, match="missing values"):
        StandardScaler().fit(np.array([1.0, np.nan]))
    with pytest.raises(SeqcastError, match="must rise"):
        MinMaxScaler((1, 0))
