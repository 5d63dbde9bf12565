from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import needs_ridership

from seqcast import SeqcastError, backtest, create_model, load_dataset


@needs_ridership
def test_ridership_seasonal_naive_known_answer() -> None:
    # The book: diff_7 = df[["bus", "rail"]].diff(7)["2019-03":"2019-05"]; MAE and MAPE.
    result = backtest(
        create_model("seasonal_naive", season=7),
        load_dataset("ridership"),
        ["bus", "rail"],
        "2019-03-01",
        "2019-05-31",
    )
    assert result.n_forecasts == 92
    assert result.per_target["bus"]["mae"] == pytest.approx(43_915.6, abs=0.05)
    assert result.per_target["rail"]["mae"] == pytest.approx(42_143.3, abs=0.05)
    assert result.per_target["bus"]["mape"] == pytest.approx(8.294, abs=0.0005)
    assert result.per_target["rail"]["mape"] == pytest.approx(8.995, abs=0.0005)


def test_per_horizon_errors_of_naive_on_a_line(daily: pd.DataFrame) -> None:
    # a = t: from origin t naive says t, the truth at +h is t + h, so the error at +h is h.
    result = backtest(create_model("naive"), daily, "a", "2020-01-11", "2020-02-20", horizon=3)
    assert result.n_forecasts == 41
    assert result.per_horizon["mae"].tolist() == [1.0, 2.0, 3.0]
    assert result.metrics["mae"] == pytest.approx(2.0)
    first = result.forecasts.iloc[:3]
    assert first["origin"].tolist() == [pd.Timestamp("2020-01-10")] * 3
    assert first["time"].tolist() == list(pd.date_range("2020-01-11", periods=3))
    assert first["forecast"].tolist() == [9.0] * 3 and first["actual"].tolist() == [10, 11, 12]
    assert len(result.forecasts) == 41 * 3


def test_weekly_pattern_is_forecast_exactly_by_seasonal_naive(daily: pd.DataFrame) -> None:
    result = backtest(
        create_model("seasonal_naive", season=7),
        daily,
        ["a", "b"],
        "2020-01-15",
        "2020-02-15",
        horizon=7,
    )
    assert result.per_target["b"]["mae"] == 0.0
    assert result.per_target["a"]["mae"] == pytest.approx(7.0)  # a line is 7 higher a week on
    assert result.per_horizon["mae"].tolist() == [3.5] * 7


def test_train_start_limits_what_the_forecasts_see(daily: pd.DataFrame) -> None:
    result = backtest(
        create_model("mean"), daily, "a", "2020-02-01", "2020-02-03", train_start="2020-01-21"
    )
    # origin t (0-based) sees a[20..t]; its mean is (20 + t) / 2 for t = 30, 31, 32
    assert result.forecasts["forecast"].tolist() == [25.0, 25.5, 26.0]


def test_refit_and_no_refit_agree_for_baselines(daily: pd.DataFrame) -> None:
    for name in ("naive", "drift", "mean"):
        once = backtest(create_model(name), daily, "b", "2020-01-20", "2020-02-10", horizon=4)
        every = backtest(
            create_model(name), daily, "b", "2020-01-20", "2020-02-10", horizon=4, refit=True
        )
        pd.testing.assert_frame_equal(once.forecasts, every.forecasts)


def test_to_dict_holds_the_agreed_keys(daily: pd.DataFrame) -> None:
    payload = backtest(
        create_model("naive"), daily, "a", "2020-02-01", "2020-02-10", horizon=2
    ).to_dict()
    for key in ("model", "target", "horizon", "n_forecasts", "mae", "mape", "rmse"):
        assert key in payload
    assert payload["target"] == "a" and payload["n_forecasts"] == 10
    assert payload["per_horizon"]["mae"] == [1.0, 2.0]


def test_undefined_metric_becomes_null(daily: pd.DataFrame) -> None:
    zeros = daily.assign(z=0.0)
    payload = backtest(create_model("naive"), zeros, "z", "2020-02-01", "2020-02-05").to_dict()
    assert payload["mape"] is None and payload["mae"] == 0.0


def test_bad_requests_are_named(daily: pd.DataFrame) -> None:
    naive = create_model("naive")
    with pytest.raises(SeqcastError, match=r"\+5 from 2020-02-28.* reaches 2020-03-04"):
        backtest(naive, daily, "a", "2020-02-01", "2020-02-29", horizon=5)
    with pytest.raises(SeqcastError, match="backtest range: end 2021-01 is after the data ends"):
        backtest(naive, daily, "a", "2020-02-01", "2021-01")
    with pytest.raises(SeqcastError, match="leaves 0 observed steps"):
        backtest(naive, daily, "a", "2020-01-01", "2020-01-05")
    with pytest.raises(
        SeqcastError, match="leaves 9 observed steps; seasonal_naive needs at least 14"
    ):
        backtest(create_model("seasonal_naive", season=14), daily, "b", "2020-01-10", "2020-01-20")
    with pytest.raises(SeqcastError, match="horizon must be a positive integer"):
        backtest(naive, daily, "a", "2020-02-01", "2020-02-05", horizon=0)
    with pytest.raises(SeqcastError, match="no column 'rail'"):
        backtest(naive, daily, "rail", "2020-02-01", "2020-02-05")
    np.testing.assert_array_equal(daily["a"], np.arange(60.0))  # untouched
