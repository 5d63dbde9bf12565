"""M4's statistical benchmarks: the seasonality test and the decomposition against values
computed by hand, and the official M4 Hourly table reproduced."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import needs_data

from seqcast import create_model, load_dataset
from seqcast.data.panel import iter_series
from seqcast.models.classical import autocorrelation, seasonal_indices, seasonality_test

needs_m4 = needs_data("Hourly-train.csv")


def by_hand_acf(y: list[float], k: int) -> float:
    """R's acf at lag k, written out: Σ (y_t - ȳ)(y_{t+k} - ȳ) / Σ (y_t - ȳ)²."""
    mean = sum(y) / len(y)
    top = sum((y[t] - mean) * (y[t + k] - mean) for t in range(len(y) - k))
    return top / sum((v - mean) ** 2 for v in y)


def by_hand_indices(y: list[float], m: int) -> list[float]:
    """R's decompose(type = "multiplicative")$figure for an even m, written out."""
    n, half = len(y), m // 2
    ratios: list[list[float]] = [[] for _ in range(m)]
    for t in range(half, n - half):
        trend = (0.5 * y[t - half] + sum(y[t - half + 1 : t + half]) + 0.5 * y[t + half]) / m
        ratios[t % m].append(y[t] / trend)
    figure = [sum(r) / len(r) for r in ratios]
    return [f / (sum(figure) / m) for f in figure]


def test_a_known_seasonal_pattern_comes_back_as_its_indices() -> None:
    pattern = [0.5, 1.0, 1.5, 1.0]  # mean 1
    y = np.tile(pattern, 12) * 10.0
    np.testing.assert_allclose(seasonal_indices(y, 4), pattern, rtol=1e-12)
    assert seasonality_test(y, 4) is True
    noise = np.random.default_rng(0).normal(10, 1, 200)
    assert seasonality_test(noise, 4) is False
    assert seasonality_test(y[:11], 4) is False  # fewer than 3 m values
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its autocorrelation is 0 / 0
        assert seasonality_test(np.full(48, 7.0), 4) is False


@needs_m4
@pytest.mark.parametrize("key", ["H1", "H2", "H150", "H414"])
def test_the_seasonality_test_and_indices_of_m4_series(key: str) -> None:
    train = load_dataset("m4-hourly").loc[key, "y"].to_numpy()[:-48]
    values = train.tolist()
    acf = autocorrelation(train, 24)
    np.testing.assert_allclose(acf, [by_hand_acf(values, k) for k in range(1, 25)], rtol=1e-10)
    limit = 1.645 * math.sqrt(
        (1 + 2 * sum(by_hand_acf(values, k) ** 2 for k in range(1, 24))) / len(values)
    )
    assert seasonality_test(train, 24) == (abs(by_hand_acf(values, 24)) > limit)
    np.testing.assert_allclose(seasonal_indices(train, 24), by_hand_indices(values, 24), rtol=1e-10)


def test_naive2_multiplies_the_last_adjusted_value_by_the_indices() -> None:
    pattern = np.array([0.5, 1.0, 1.5, 1.0])
    level = np.r_[np.full(40, 10.0), np.full(8, 20.0)]  # the level doubles for the last 2 cycles
    y = level * np.tile(pattern, 12)
    frame = pd.DataFrame({"y": y}, index=pd.date_range("2020-01-01", periods=48, freq="h"))
    forecast = create_model("naive2", season=4).fit(frame, "y").predict(6)["y"]
    indices = seasonal_indices(y, 4)
    expected = y[-1] / indices[47 % 4] * indices[np.arange(48, 54) % 4]
    np.testing.assert_allclose(forecast, expected, rtol=1e-12)


@needs_m4
def test_the_m4_hourly_table() -> None:
    """The official "Evaluation and Ranks" figures: Naive, sNaive and Naive2 exactly (3
    decimals), SES and Theta within 1 % (R's optimiser and statsmodels' differ)."""
    panel = load_dataset("m4-hourly")
    official = {
        "naive": (43.003, 11.608),
        "seasonal_naive": (13.912, 1.193),
        "naive2": (18.383, 2.395),
        "ses": (18.094, 2.385),
        "theta": (18.138, 2.455),
    }
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in official}
    for _, series in iter_series(panel):
        train, truth = series.iloc[:-48], series["y"].to_numpy()[-48:]
        y = train["y"].to_numpy()
        scale = np.mean(np.abs(y[24:] - y[:-24]))
        for name in official:
            params = {} if name == "naive" else {"season": 24}
            f = create_model(name, **params).fit(train, "y").predict(48)["y"].to_numpy()
            smape = np.mean(200 * np.abs(truth - f) / (np.abs(truth) + np.abs(f)))
            scores[name].append((smape, np.mean(np.abs(truth - f)) / scale))
    for name, (smape, mase) in official.items():
        ours = np.mean(scores[name], axis=0)
        if name in ("ses", "theta"):
            np.testing.assert_allclose(ours, [smape, mase], rtol=0.01)
        else:
            assert (round(ours[0], 3), round(ours[1], 3)) == (smape, mase), name
