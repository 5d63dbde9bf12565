"""Input a hostile but realistic user gives: models that cannot forecast the values say so
(never NaN with exit 0), counts refuse negative targets, seasons longer than every series
are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast import SeqcastError, create_model, panel_backtest
from seqcast.data.panel import prepare_panel


def days(values: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=len(values), freq="D", name="day")
    return pd.DataFrame({"y": values}, index=index)


def test_a_model_that_cannot_forecast_the_values_says_so() -> None:
    huge = days(1e300 * (1 + 0.1 * np.sin(np.arange(300) / 5)))
    mlp = create_model("mlp", input_len=10, train={"epochs": 2, "valid_fraction": 0.0})
    with pytest.raises(SeqcastError, match=r"mlp cannot forecast these values: .* 1.1e\+300"):
        mlp.fit(huge, "y").predict(3)
    with pytest.raises(SeqcastError, match="arima cannot forecast these values"):
        create_model("arima").fit(huge, "y").predict(3)
    steep = days(1e307 + 1e305 * np.arange(100.0))  # drift passes the largest float
    drift = create_model("drift").fit(steep, "y")
    assert np.isfinite(drift.predict(10).to_numpy()).all()
    with pytest.raises(SeqcastError, match=r"forecast from 2020-04-09 00:00:00 is inf at step"):
        drift.predict(10_000)


def test_a_count_loss_refuses_negative_targets_before_training() -> None:
    data = days(np.r_[np.full(50, 3.0), -2.5, np.full(49, 4.0)])
    model = create_model(
        "mlp", input_len=8, scaling="none", norm="mean", train={"loss": "negbin", "epochs": 1}
    )
    with pytest.raises(
        SeqcastError,
        match=r"negbin models counts, and target 'y' has negative values \(the first at "
        r"2020-02-20 00:00:00: -2.5\)",
    ):
        model.fit(data, "y")


def test_a_season_longer_than_every_series_is_refused() -> None:
    table = pd.DataFrame(
        {
            "id": ["a"] * 30 + ["b"] * 40,
            "day": [
                *pd.date_range("2024-01-01", periods=30),
                *pd.date_range("2024-01-01", periods=40),
            ],
            "y": np.arange(70.0) % 7 + 1,
        }
    )
    panel = prepare_panel(table, "id", "day")
    assert panel_backtest(create_model("naive"), panel, "y", 5, season=34).metrics["mase"] > 0
    with pytest.raises(SeqcastError, match="season 35 leaves no series a MASE scale: the longest"):
        panel_backtest(create_model("naive"), panel, "y", 5, season=35)
