"""The contract every registered model keeps, plus each baseline's known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from seqcast import SeqcastError, create_model, list_models, register_model
from seqcast.models.baselines import Naive
from seqcast.models.registry import parse_overrides


def small(name: str) -> dict[str, object]:
    """Quick settings for the 60-day fixture: a short window and a few epochs."""
    from seqcast.models.neural import NeuralForecaster
    from seqcast.models.registry import model_class

    if name == "segrnn":  # segments of 4 steps divide the window (8) and horizon (24)
        return {"input_len": 8, "seg_len": 4, "hidden_size": 16, "train": {"epochs": 3}}
    if issubclass(model_class(name), NeuralForecaster):
        return {"input_len": 8, "train": {"epochs": 3, "valid_fraction": 0.0}}
    return {}


@pytest.mark.parametrize("name", list_models())
def test_contract(name: str, daily: pd.DataFrame) -> None:
    model = create_model(name, **small(name))
    with pytest.raises(SeqcastError, match="not fitted"):
        model.predict(3)
    assert model.fit(daily, ["a", "b"]) is model
    forecast = model.predict(5)
    assert forecast.shape == (5, 2) and list(forecast.columns) == ["a", "b"]
    assert list(forecast.index) == list(pd.date_range("2020-03-01", periods=5, freq="D"))
    assert forecast.index.freqstr == "D"
    assert np.isfinite(forecast.to_numpy()).all()
    other = model.clone()
    assert other is not model and other.params() == model.params()
    assert not hasattr(other, "targets_")
    pd.testing.assert_frame_equal(other.fit(daily, ["a", "b"]).predict(5), forecast)


@pytest.mark.parametrize("name", list_models())
def test_predict_from_a_later_history(name: str, daily: pd.DataFrame) -> None:
    model = create_model(name, **small(name)).fit(daily.iloc[:40], "b")
    forecast = model.predict(2, history=daily)
    assert list(forecast.index) == list(pd.date_range("2020-03-01", periods=2, freq="D"))
    with pytest.raises(SeqcastError, match="positive integer"):
        model.predict(0)
    with pytest.raises(SeqcastError, match="frequency"):
        model.predict(2, history=daily.asfreq("2D"))


@pytest.mark.parametrize("name", list_models())
def test_forecast_origins_is_predict_from_each_origin(name: str, daily: pd.DataFrame) -> None:
    model = create_model(name, **small(name)).fit(daily.iloc[:40], ["a", "b"])
    levels = (80.0, 95.0) if model.has_intervals else ()
    origins = np.array([39, 47, 52])
    out = model.forecast_origins(daily, origins, 4, levels)
    assert out.shape == (3, 4, 2, 1 + 2 * len(levels))
    for i, origin in enumerate(origins):
        history = daily.iloc[: origin + 1]
        one = (
            model.predict_interval(4, levels, history=history)
            if levels
            else model.predict(4, history=history)
        )
        columns = ["a", "b"] + [
            f"{t}_{b}" for t in "ab" for b in ("lo_80", "hi_80", "lo_95", "hi_95")
        ]
        expected = one[columns[: len(one.columns)]].to_numpy()  # targets, then their bounds
        got = np.concatenate([out[i, :, :, 0], out[i, :, :, 1:].reshape(4, -1)], axis=1)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(SeqcastError, match="rows of the data"):
        model.forecast_origins(daily, [60], 2)
    with pytest.raises(SeqcastError, match="no origins"):
        model.forecast_origins(daily, [], 2)
    if model.min_history > 1:
        with pytest.raises(SeqcastError, match=f"needs at least {model.min_history} observed"):
            model.forecast_origins(daily, [model.min_history - 2], 2)
    if not levels:
        with pytest.raises(SeqcastError, match="no intervals of its own"):
            model.forecast_origins(daily, [52], 2, [80])


def test_baseline_known_answers(daily: pd.DataFrame) -> None:
    # a = 0..59, b = 10 * (t mod 7); the last day t = 59 has b = 30
    assert create_model("naive").fit(daily).predict(3).to_numpy().tolist() == [[59, 30]] * 3
    weekly = create_model("seasonal_naive", season=7).fit(daily, "b").predict(9)["b"]
    assert weekly.tolist() == [10 * ((60 + h) % 7) for h in range(9)]
    mean = create_model("mean").fit(daily, "a").predict(2)["a"]
    assert mean.tolist() == [29.5, 29.5]
    drift = create_model("drift").fit(daily, "a").predict(3)["a"]
    assert drift.tolist() == [60.0, 61.0, 62.0]


def test_too_short_history_is_an_error(daily: pd.DataFrame) -> None:
    with pytest.raises(SeqcastError, match="seasonal_naive needs at least 7 observed steps, got 5"):
        create_model("seasonal_naive", season=7).fit(daily.iloc[:5])
    with pytest.raises(SeqcastError, match="season must be at least 1"):
        create_model("seasonal_naive", season=0)


def test_fit_refuses_bad_data(daily: pd.DataFrame) -> None:
    with pytest.raises(SeqcastError, match="regular DatetimeIndex"):
        create_model("naive").fit(daily.reset_index())
    with pytest.raises(SeqcastError, match="no column 'c'"):
        create_model("naive").fit(daily, "c")
    with pytest.raises(SeqcastError, match="not numeric"):
        create_model("naive").fit(daily.assign(c="x"), "c")


def test_registry_errors_list_what_is_valid() -> None:
    with pytest.raises(
        SeqcastError, match="unknown model 'arima2'; choose one of arima, comb, conv_gru, damped"
    ):
        create_model("arima2")
    with pytest.raises(
        SeqcastError, match="seasonal_naive has no parameter 'lag'; its parameters are: season"
    ):
        create_model("seasonal_naive", lag=3)
    with pytest.raises(SeqcastError, match="'season' must be an int, got '7'"):
        create_model("seasonal_naive", season="7")
    with pytest.raises(ValueError, match="already registered"):
        register_model("naive")(dataclasses.dataclass(type("Again", (Naive,), {})))


def test_overrides_are_converted_to_the_field_types() -> None:
    assert parse_overrides("seasonal_naive", ["season=12"]) == {"season": 12}
    with pytest.raises(SeqcastError, match="'season' must be an int, got 'weekly'"):
        parse_overrides("seasonal_naive", ["season=weekly"])
    with pytest.raises(SeqcastError, match="key=value"):
        parse_overrides("seasonal_naive", ["season"])
    with pytest.raises(
        SeqcastError, match="naive has no parameter 'season'; its parameters are: none"
    ):
        parse_overrides("naive", ["season=7"])
