"""Prediction intervals of the models themselves and conformal ones: levels, known answers
worked out independently, coverage of a long synthetic series, and bad inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import Conformal, Intervals, SeqcastError, backtest, create_model
from seqcast.data.panel import from_series
from seqcast.evaluation import probabilistic
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.intervals import (
    bound_columns,
    bound_probabilities,
    check_levels,
    ordered,
    symmetric_bounds,
)

Z80, Z95 = NormalDist().inv_cdf(0.9), NormalDist().inv_cdf(0.975)


def hourly(steps: int, seed: int = 0, sigma: float = 1.0) -> pd.DataFrame:
    """A daily wave over hourly steps (period 24) plus Gaussian noise of ``sigma``."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    y = 50 + 5 * np.sin(2 * np.pi * t / 24) + sigma * rng.normal(size=steps)
    index = pd.date_range("2021-01-01", periods=steps, freq="h", name="time")
    return pd.DataFrame({"y": y}, index=index)


def test_levels_name_their_bounds_in_order() -> None:
    assert check_levels([95, 80, 95]) == (80.0, 95.0)
    np.testing.assert_allclose(bound_probabilities([95, 80]), [0.1, 0.9, 0.025, 0.975])
    assert bound_columns(check_levels([97.5, 50])) == ["lo_50", "hi_50", "lo_97.5", "hi_97.5"]
    for bad in ([0], [100], [120], []):
        with pytest.raises(SeqcastError, match="level"):
            check_levels(bad)


def test_bounds_are_nested_and_symmetric_bounds_straddle_the_point() -> None:
    crossed = np.array([[1.0, 9.0, 2.0, 8.0], [5.0, 4.0, 0.0, 10.0]])  # lo80, hi80, lo95, hi95
    fixed = ordered(crossed)
    assert (fixed[:, 2] <= fixed[:, 0]).all() and (fixed[:, 0] <= fixed[:, 1]).all()
    assert (fixed[:, 1] <= fixed[:, 3]).all()
    np.testing.assert_allclose(
        symmetric_bounds(np.array([10.0]), np.array([[1.0, 3.0]])), [[9.0, 11.0, 7.0, 13.0]]
    )


def test_baseline_intervals_follow_their_textbook_formulas(daily: pd.DataFrame) -> None:
    y = daily["b"].to_numpy() + np.random.default_rng(1).normal(size=60)
    data = daily.assign(y=y)
    h = np.arange(1, 15)
    # naive: sigma of the one-step changes, times sqrt(h)
    naive = create_model("naive").fit(data, "y").predict_interval(14, levels=[95])
    sigma = math.sqrt(np.mean(np.diff(y) ** 2))
    np.testing.assert_allclose(naive["y_hi_95"] - naive["y"], Z95 * sigma * np.sqrt(h))
    # seasonal naive: sigma of the season-on-season changes, times sqrt(whole seasons + 1)
    snaive = create_model("seasonal_naive", season=7).fit(data, "y")
    bands = snaive.predict_interval(14, levels=[80])
    sigma = math.sqrt(np.mean((y[7:] - y[:-7]) ** 2))
    np.testing.assert_allclose(
        bands["y_hi_80"] - bands["y"], Z80 * sigma * np.sqrt((h - 1) // 7 + 1)
    )
    np.testing.assert_allclose(bands["y"] - bands["y_lo_80"], bands["y_hi_80"] - bands["y"])
    # mean: the sample deviation, times sqrt(1 + 1/T)
    mean = create_model("mean").fit(data, "y").predict_interval(3, levels=[95])
    np.testing.assert_allclose(
        mean["y_hi_95"] - mean["y"], Z95 * np.std(y, ddof=1) * math.sqrt(1 + 1 / 60)
    )
    # drift: residuals about the slope, times sqrt(h (1 + h/T))
    drift = create_model("drift").fit(data, "y").predict_interval(14, levels=[95])
    slope = (y[-1] - y[0]) / 59
    sigma = math.sqrt(np.sum((np.diff(y) - slope) ** 2) / 58)
    np.testing.assert_allclose(
        drift["y_hi_95"] - drift["y"], Z95 * sigma * np.sqrt(h * (1 + h / 60))
    )


@pytest.mark.parametrize("name", ["ses", "theta", "naive2"])
def test_exponential_smoothing_intervals_hold_the_forecast_and_widen(name: str) -> None:
    data = hourly(24 * 20)
    model = create_model(name, season=24).fit(data, "y")
    bands = model.predict_interval(48, levels=[80, 95])
    assert list(bands.columns) == ["y", "y_lo_80", "y_hi_80", "y_lo_95", "y_hi_95"]
    assert (bands["y_lo_95"] < bands["y_lo_80"]).all() and (bands["y_lo_80"] < bands["y"]).all()
    assert (bands["y"] < bands["y_hi_80"]).all() and (bands["y_hi_80"] < bands["y_hi_95"]).all()
    np.testing.assert_allclose(bands["y"], model.predict(48)["y"])
    adjusted = (bands["y_hi_95"] - bands["y_lo_95"]).to_numpy() / (bands["y"].to_numpy())
    assert adjusted[-1] >= adjusted[0]  # relative to the seasonal level, never narrower


def test_models_without_intervals_say_how_to_get_them(daily: pd.DataFrame) -> None:
    holt = create_model("holt").fit(daily, "a")
    assert not holt.has_intervals
    with pytest.raises(SeqcastError, match="conformal"):
        holt.predict_interval(3)
    with pytest.raises(SeqcastError, match="conformal"):
        backtest(create_model("holt"), daily, "a", "2020-02-10", "2020-02-20", levels=[80])


def test_conformal_widths_are_the_ranked_errors_of_the_calibration_origins() -> None:
    y = np.array(
        [0, 1, 3, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11, 15, 13, 14, 18, 16, 17, 21, 19, 20, 24.0]
    )
    index = pd.date_range("2022-01-01", periods=len(y), freq="D", name="date")
    data = pd.DataFrame({"y": y}, index=index)
    model = Conformal(create_model("naive"), horizon=2, origins=19).fit(data, "y")
    # naive from origin o: y[o] for both steps; the 19 origins are positions 1..19
    origins = np.arange(1, 20)
    errors = np.abs(np.stack([y[origins + 1] - y[origins], y[origins + 2] - y[origins]], 1))
    rank = math.ceil(20 * 0.8)  # the ceil((O + 1) L)-th smallest of the O errors
    expected = np.sort(errors, axis=0)[rank - 1]
    bands = model.predict_interval(2, levels=[80])
    np.testing.assert_allclose(bands["y"], [24.0, 24.0])
    np.testing.assert_allclose(bands["y_hi_80"] - bands["y"], expected)
    np.testing.assert_allclose(bands["y"] - bands["y_lo_80"], expected)
    with pytest.raises(SeqcastError, match="need at least 39 calibration errors"):
        model.predict_interval(2, levels=[97.5])
    with pytest.raises(SeqcastError, match="calibrated intervals for 2 steps"):
        model.predict_interval(3, levels=[80])


def test_conformal_covers_a_long_synthetic_series_within_two_points() -> None:
    rng = np.random.default_rng(3)
    y = np.zeros(24 * 700)
    for t in range(1, len(y)):  # AR(1): naive's errors grow with the step ahead
        y[t] = 0.9 * y[t - 1] + rng.normal()
    index = pd.date_range("2021-01-01", periods=len(y), freq="h", name="time")
    data = pd.DataFrame({"y": y}, index=index)
    model = Conformal(create_model("naive"), horizon=12, origins=2000)
    fitted = model.fit(data.iloc[:4000], "y")
    origins = np.arange(4000, len(data) - 12, 3)
    bounds = fitted.forecast_origins(data, origins, 12, [80, 95])[:, :, 0, 1:]  # (O, H, 4)
    actual = data["y"].to_numpy()[origins[:, None] + np.arange(1, 13)]
    for i, level in enumerate((0.80, 0.95)):
        covered = probabilistic.coverage(actual, bounds[..., 2 * i], bounds[..., 2 * i + 1])
        assert abs(covered - level) < 0.02, (level, covered)
    width = bounds[..., 3] - bounds[..., 2]
    assert width[0, -1] > 1.5 * width[0, 0]  # 12 steps ahead is wider than one


def test_conformal_calibrates_strictly_before_the_forecasts_it_covers() -> None:
    data = hourly(24 * 40)
    spoiled = data.copy()
    spoiled.iloc[24 * 30 :, 0] *= 3  # everything after the first origin
    runs = [
        backtest(
            Conformal(create_model("seasonal_naive", season=24), horizon=6, origins=200),
            frame,
            "y",
            str(data.index[24 * 30]),
            str(data.index[24 * 35]),
            6,
            levels=[90],
        )
        for frame in (data, spoiled)
    ]
    widths = [r.forecasts["hi_90"] - r.forecasts["forecast"] for r in runs]
    np.testing.assert_allclose(widths[0], widths[1])


def test_conformal_pools_scaled_errors_over_a_panel() -> None:
    base = hourly(24 * 30)
    panel = from_series({"small": base, "large": base * 10})
    model = Conformal(
        create_model("seasonal_naive", season=24), horizon=4, origins=50, pool="panel", season=24
    )
    fitted = model.fit(panel, "y")
    half = fitted.half_widths((90.0,), 4)  # (N, H, K, L)
    np.testing.assert_allclose(half[1], 10 * half[0])
    own = Conformal(create_model("seasonal_naive", season=24), horizon=4, origins=50).fit(base, "y")
    np.testing.assert_allclose(half[0], own.half_widths((90.0,), 4)[0])  # same errors, scaled
    bands = fitted.predict_interval(4, levels=[90])
    assert list(bands.columns) == ["y", "y_lo_90", "y_hi_90"]
    assert bands.index.get_level_values(0).unique().tolist() == ["small", "large"]


def test_a_backtest_scores_its_intervals(daily: pd.DataFrame) -> None:
    data = daily.assign(y=daily["b"] + np.random.default_rng(2).normal(size=60))
    result = backtest(
        create_model("seasonal_naive", season=7),
        data,
        "y",
        "2020-02-01",
        "2020-02-25",
        3,
        levels=[80, 95],
        season=7,
    )
    rows = result.forecasts
    assert {"lo_80", "hi_80", "lo_95", "hi_95"} <= set(rows.columns)
    inside = (rows["actual"] >= rows["lo_95"]) & (rows["actual"] <= rows["hi_95"])
    assert result.metrics["coverage_95"] == pytest.approx(inside.mean())
    assert result.metrics["width_80"] == pytest.approx((rows["hi_80"] - rows["lo_80"]).mean())
    train = data["y"].to_numpy()[: data.index.get_loc(pd.Timestamp("2020-01-31")) + 1]
    msis = probabilistic.msis(rows["actual"], rows["lo_95"], rows["hi_95"], train, 7, 0.05)
    assert result.metrics["msis_95"] == pytest.approx(msis)
    upper = probabilistic.pinball_loss(rows["actual"], rows["hi_80"], 0.9)
    assert result.metrics["pinball_0.9"] == pytest.approx(upper)
    assert list(result.per_horizon["coverage_80"].index) == [1, 2, 3]
    assert result.to_dict()["levels"] == [80.0, 95.0]


def test_a_refit_backtest_takes_the_intervals_of_each_fit(daily: pd.DataFrame) -> None:
    data = daily.assign(y=daily["b"] + np.random.default_rng(4).normal(size=60))
    kwargs = {"levels": [80], "season": 7}
    once = backtest(
        create_model("seasonal_naive", season=7), data, "y", "2020-02-10", "2020-02-20", 2, **kwargs
    )
    refit = backtest(
        create_model("seasonal_naive", season=7),
        data,
        "y",
        "2020-02-10",
        "2020-02-20",
        2,
        refit=True,
        **kwargs,
    )
    pd.testing.assert_frame_equal(once.forecasts, refit.forecasts)  # it learns nothing


def test_a_panel_backtest_scores_coverage_acd_and_msis_per_series() -> None:
    panel = from_series({"a": hourly(24 * 20, seed=1), "b": hourly(24 * 20, seed=2) * 3})
    result = panel_backtest(
        create_model("seasonal_naive", season=24), panel, "y", 24, season=24, levels=[95]
    )
    rows = result.forecasts[result.forecasts["id"] == "b"]
    train = panel.loc["b", "y"].to_numpy()[:-24]
    msis = probabilistic.msis(rows["actual"], rows["lo_95"], rows["hi_95"], train, 24, 0.05)
    assert result.per_series.loc["b", "msis_95"] == pytest.approx(msis)
    coverage = float(result.per_series["coverage_95"].mean())
    assert result.metrics["acd_95"] == pytest.approx(abs(coverage - 0.95))
    assert len(result.per_horizon["coverage_95"]) == 24


def test_interval_requests_check_what_they_ask_for(daily: pd.DataFrame) -> None:
    holt = create_model("holt")
    assert isinstance(Intervals((80,)).apply(holt, 3), Conformal)
    naive = create_model("naive")
    assert Intervals((80,)).apply(naive, 3) is naive
    assert isinstance(Intervals((80,), "conformal").apply(naive, 3), Conformal)
    with pytest.raises(SeqcastError, match="conformal"):
        Intervals((80,), "model").apply(holt, 3)
    with pytest.raises(SeqcastError, match="auto, model or conformal"):
        Intervals((80,), "guess")  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="origins must be a positive integer"):
        Conformal(naive, origins=0)
    with pytest.raises(SeqcastError, match="wraps a forecaster"):
        Conformal("naive")  # type: ignore[arg-type]


def test_backtest_command_writes_intervals_and_a_fan_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hours.csv"
    hourly(24 * 30).reset_index().to_csv(path, index=False)
    common = ["backtest", "--csv", str(path), "--date-column", "time", "--target", "y"]
    window = ["--start", "2021-01-25", "--end", "2021-01-28", "--horizon", "6"]
    code, out, err = run_cli(
        [
            *common,
            *window,
            "--model",
            "holt",
            "--levels",
            "80,95",
            "--intervals",
            "conformal",
            "--calibration",
            "50",
            "--out",
            str(tmp_path / "run"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "prediction intervals" in out
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["model"] == "holt+conformal" and saved["levels"] == [80.0, 95.0]
    assert 0 <= saved["coverage_95"] <= 1 and saved["msis_95"] > 0
    assert (tmp_path / "run" / "fan.png").stat().st_size > 0
    rows = pd.read_csv(tmp_path / "run" / "forecasts.csv")
    assert (rows["lo_95"] <= rows["lo_80"]).all() and (rows["hi_80"] <= rows["hi_95"]).all()
    code, _, err = run_cli(
        [
            *common,
            *window,
            "--model",
            "holt",
            "--levels",
            "80",
            "--intervals",
            "model",
            "--out",
            str(tmp_path / "no"),
        ],
        capsys,
    )
    assert code == 1 and "holt has no intervals of its own" in err
    assert not (tmp_path / "no").exists()
    code, _, err = run_cli(
        [*common, *window, "--model", "naive", "--levels", "80,x", "--out", str(tmp_path / "x")],
        capsys,
    )
    assert code == 1 and "--levels takes comma-separated percentages" in err


def test_panel_benchmark_command_ranks_intervals_and_draws_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    panel = from_series({"a": hourly(24 * 20, seed=1), "b": hourly(24 * 20, seed=2) * 4})
    path = tmp_path / "panel.csv"
    panel.reset_index().to_csv(path, index=False)
    code, out, err = run_cli(
        [
            "benchmark",
            "--csv",
            str(path),
            "--date-column",
            "time",
            "--id-column",
            "id",
            "--target",
            "y",
            "--horizon",
            "12",
            "--season",
            "24",
            "--models",
            "seasonal_naive,holt",
            "--levels",
            "90",
            "--calibration",
            "40",
            "--pool",
            "panel",
            "--out",
            str(tmp_path / "board"),
        ],
        capsys,
    )
    assert code == 0, err
    board = pd.read_csv(tmp_path / "board" / "leaderboard.csv")
    assert set(board["model"]) == {"seasonal_naive", "holt+conformal"}  # auto: own, else conformal
    assert {"coverage_90", "acd_90", "msis_90"} <= set(board.columns)
    np.testing.assert_allclose(board["acd_90"], (board["coverage_90"] - 0.9).abs())
    for picture in ("calibration.png", "fan.png"):
        assert (tmp_path / "board" / picture).stat().st_size > 0
    assert "observed against nominal coverage" in (tmp_path / "board" / "report.html").read_text()
    assert "prediction intervals" in out
    # the bounds that were scored are saved: coverage recomputed from them agrees
    for row in board.itertuples():
        scored = pd.read_csv(tmp_path / "board" / "intervals" / f"{row.model}.csv")
        assert len(scored) == 2 * 12 and {"lo_90", "hi_90", "actual"} <= set(scored.columns)
        inside = scored["actual"].between(scored["lo_90"], scored["hi_90"])
        assert inside.groupby(scored["id"]).mean().mean() == pytest.approx(row.coverage_90)


def test_a_saved_model_forecasts_with_conformal_intervals_after_its_training(
    tmp_path: Path,
) -> None:
    from seqcast.runs import forecast

    data = hourly(24 * 30)
    model = create_model("mlp", input_len=24, strategy="direct", horizon=6, train={"epochs": 3})
    model.fit(data.iloc[: 24 * 20], "y")
    run = forecast(
        model, data, 6, origin=str(data.index[24 * 28]), intervals=Intervals((80,), origins=60)
    )
    assert list(run.forecast.columns) == ["y", "y_lo_80", "y_hi_80"]
    assert (run.forecast["y_lo_80"] < run.forecast["y"]).all()
    run.save(tmp_path / "out")
    assert (tmp_path / "out" / "forecast.png").stat().st_size > 0
    with pytest.raises(SeqcastError, match="has no intervals of its own"):
        forecast(model, data, 6, intervals=Intervals((80,), "model"))


def test_a_panel_of_local_models_gives_each_series_its_own_intervals() -> None:
    series = {"a": hourly(24 * 10, seed=1), "b": hourly(24 * 10, seed=2) * 3}
    fitted = create_model("seasonal_naive", season=24).fit(from_series(series), "y")
    bands = fitted.predict_interval(5, levels=[80, 95])
    for key, frame in series.items():
        own = create_model("seasonal_naive", season=24).fit(frame, "y")
        expected = own.predict_interval(5, levels=[80, 95])
        np.testing.assert_allclose(bands.loc[key].to_numpy(), expected.to_numpy())
