"""ARIMA against statsmodels' own estimates (the reference) and the book's figures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import needs_ridership

from seqcast import SeqcastError, backtest, create_model, load_dataset

BOOK = {"order": (1, 0, 0), "seasonal_order": (0, 1, 1, 7)}


def statsmodels_forecast(y: np.ndarray, steps: int = 1, **spec: object) -> np.ndarray:
    from statsmodels.tsa.arima.model import ARIMA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(ARIMA(y, **spec).fit().forecast(steps))


@pytest.fixture(scope="module")
def ridership() -> pd.DataFrame:
    return load_dataset("ridership")


@needs_ridership
def test_single_fit_forecasts_the_books_value(ridership: pd.DataFrame) -> None:
    model = create_model("arima", **BOOK).fit(ridership.loc["2019-01-01":"2019-05-31"], "rail")
    forecast = model.predict(7)
    assert forecast.index[0] == pd.Timestamp("2019-06-01")
    assert forecast["rail"].iloc[0] == pytest.approx(427_758.6, rel=0.005)
    reference = statsmodels_forecast(
        ridership.loc["2019-01-01":"2019-05-31", "rail"].to_numpy(float), 7, **BOOK
    )
    np.testing.assert_allclose(forecast["rail"], reference, rtol=1e-9)
    summary = model.summary()
    assert list(summary.index) == ["ar.L1", "ma.S.L7", "sigma2"]
    assert summary.loc["ar.L1", "rail"] == pytest.approx(0.6491, abs=1e-3)


@needs_ridership
def test_rolling_refit_matches_cold_statsmodels_fits(ridership: pd.DataFrame) -> None:
    # One week of the book's daily-refit loop; every warm-started fit must land where a
    # cold statsmodels fit on the same data lands.
    result = backtest(
        create_model("arima", **BOOK),
        ridership,
        "rail",
        "2019-03-01",
        "2019-03-07",
        refit=True,
        train_start="2019-01-01",
    )
    rail = ridership["rail"]
    expected = [
        statsmodels_forecast(
            rail.loc["2019-01-01" : day - pd.Timedelta(days=1)].to_numpy(float), **BOOK
        )[0]
        for day in pd.date_range("2019-03-01", "2019-03-07")
    ]
    np.testing.assert_allclose(result.forecasts["forecast"], expected, rtol=2e-4)


@needs_ridership
def test_the_books_92_day_rolling_mae(ridership: pd.DataFrame) -> None:
    result = backtest(
        create_model("arima", **BOOK),
        ridership,
        "rail",
        "2019-03-01",
        "2019-05-31",
        refit=True,
        train_start="2019-01-01",
    )
    assert result.n_forecasts == 92
    assert result.metrics["mae"] == pytest.approx(32_040.7, rel=0.005)


@needs_ridership
def test_workers_give_the_same_forecasts(ridership: pd.DataFrame) -> None:
    kwargs = dict(refit=True, train_start="2019-01-01")
    one = backtest(
        create_model("arima", **BOOK), ridership, "rail", "2019-03-01", "2019-03-10", **kwargs
    )
    two = backtest(
        create_model("arima", **BOOK),
        ridership,
        "rail",
        "2019-03-01",
        "2019-03-10",
        workers=2,
        **kwargs,
    )
    np.testing.assert_allclose(two.forecasts["forecast"], one.forecasts["forecast"], rtol=2e-4)


@pytest.mark.parametrize(
    "spec", [BOOK, {"order": (1, 1, 0), "trend": "t"}, {"order": (2, 0, 1), "trend": "c"}]
)
def test_one_filter_pass_equals_refiltering_each_origin(spec: dict, daily: pd.DataFrame) -> None:
    data = daily.assign(y=daily["b"] + 0.3 * daily["a"] + np.sin(np.arange(60.0)))
    model = create_model("arima", **spec).fit(data.iloc[:40], "y")
    origins = np.array([39, 45, 52, 56])
    together = model.forecast_origins(data, origins, 3)[..., 0]
    for i, origin in enumerate(origins):
        history = data["y"].iloc[: origin + 1].to_numpy(float)
        from statsmodels.tsa.arima.model import ARIMA

        reference = ARIMA(history, **spec).filter(model.params_[0]).forecast(3)
        np.testing.assert_allclose(together[i, :, 0], reference, rtol=1e-8, atol=1e-8)


def test_prediction_intervals_are_statsmodels_and_widen(daily: pd.DataFrame) -> None:
    from statsmodels.tsa.arima.model import ARIMA

    data = daily.assign(y=daily["b"] + np.random.default_rng(0).normal(size=60))
    spec = {"order": (1, 0, 0), "seasonal_order": (0, 1, 1, 7)}
    model = create_model("arima", **spec).fit(data, "y")
    bands = model.predict_interval(10, levels=[90, 50])
    assert list(bands.columns) == ["y", "y_lo_50", "y_hi_50", "y_lo_90", "y_hi_90"]
    reference = ARIMA(data["y"].to_numpy(float), **spec).filter(model.params_[0])
    expected = np.asarray(reference.get_forecast(10).conf_int(alpha=0.1))
    np.testing.assert_allclose(bands[["y_lo_90", "y_hi_90"]].to_numpy(), expected, rtol=1e-8)
    assert (bands["y_lo_90"] < bands["y_lo_50"]).all() and (bands["y_lo_50"] < bands["y"]).all()
    width = (bands["y_hi_90"] - bands["y_lo_90"]).to_numpy()
    assert width[-1] > width[0]
    # from a later origin, with the fitted parameters
    later = model.predict_interval(3, levels=[90], history=data.iloc[:50])
    refiltered = ARIMA(data["y"].iloc[:50].to_numpy(float), **spec).filter(model.params_[0])
    np.testing.assert_allclose(
        later[["y_lo_90", "y_hi_90"]].to_numpy(),
        np.asarray(refiltered.get_forecast(3).conf_int(alpha=0.1)),
        rtol=1e-8,
    )


def test_learns_a_seasonal_ar_process() -> None:
    rng = np.random.default_rng(3)
    y = np.zeros(400)
    for t in range(7, 400):
        y[t] = 0.8 * y[t - 7] + rng.normal()
    data = pd.DataFrame({"y": y}, index=pd.date_range("2020-01-01", periods=400, freq="D"))
    model = create_model("arima", order=(0, 0, 0), seasonal_order=(1, 0, 0, 7), trend="n")
    model.fit(data, "y")
    assert model.summary().loc["ar.S.L7", "y"] == pytest.approx(0.8, abs=0.08)
    # SAR(1): the forecast h steps ahead (h <= 7) is phi * y[T + h - 7]
    np.testing.assert_allclose(model.predict(7)["y"], model.params_[0][0] * y[-7:], rtol=1e-6)


def test_bad_specifications_are_named() -> None:
    with pytest.raises(SeqcastError, match="order must be three integers"):
        create_model("arima", order=(1, 0))
    with pytest.raises(SeqcastError, match="seasonal terms need a season s >= 2"):
        create_model("arima", seasonal_order=(0, 1, 1, 0))
    with pytest.raises(SeqcastError, match="trend must be one of n, c, t, ct"):
        create_model("arima", trend="quadratic")
    with pytest.raises(SeqcastError, match="a constant cannot be included"):
        create_model("arima", order=(1, 1, 1), trend="c").fit(
            pd.DataFrame(
                {"y": np.arange(30.0)}, index=pd.date_range("2020-01-01", periods=30, freq="D")
            )
        )


def test_stl_removes_a_long_season_that_plain_arima_cannot_follow() -> None:
    t = np.arange(400)
    noise = np.random.default_rng(4).normal(0, 0.1, 400)
    frame = pd.DataFrame(
        {"y": 10 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 40) + noise},
        index=pd.date_range("2000-01-01", periods=400, freq="D"),
    )
    train, truth = frame.iloc[:360], frame["y"].to_numpy()[360:]
    drift = {"order": (0, 1, 1), "trend": "t"}  # with d = 1, "t" is the drift
    plain = create_model("arima", **drift).fit(train, "y").predict(40)["y"]
    stl = create_model("arima", **drift, stl_period=40).fit(train, "y")
    forecast = stl.predict(40)["y"]
    assert np.abs(forecast - truth).mean() < 0.3 < 1.5 < np.abs(plain - truth).mean()
    # The forecast from a history passed in (one filter pass over it, the seasonal part
    # lined up by date) equals the forecast from the fitted data.
    np.testing.assert_allclose(stl.predict(40, history=train.copy())["y"], forecast, rtol=1e-9)
    assert create_model("arima", stl_period=40).min_history == 81  # two cycles and one


def test_stl_settings_are_checked() -> None:
    with pytest.raises(SeqcastError, match="stl_period must be 0 or at least 2"):
        create_model("arima", stl_period=1)
    with pytest.raises(SeqcastError, match="seasonal terms or stl_period, not both"):
        create_model("arima", seasonal_order=(0, 1, 1, 12), stl_period=12)
    assert create_model("arima").defaults_for(52, 52) == {"order": (1, 1, 1), "stl_period": 52}
