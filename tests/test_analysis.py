"""ACF/PACF reading on processes whose answer is known, and on the real rail series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import needs_ridership
from conftest import run_cli as run

from seqcast import SeqcastError, load_dataset
from seqcast.analysis import analyze
from seqcast.evaluation.order_search import order_grid, search_orders

RNG = np.random.default_rng(0)
NOISE = RNG.normal(size=3000)


def ar2() -> np.ndarray:
    y = np.zeros(3000)
    for t in range(2, 3000):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + NOISE[t]
    return y


@pytest.mark.parametrize(
    ("name", "series", "season", "order", "seasonal_order"),
    [
        ("AR(2): PACF cuts off after 2", ar2(), None, [2, 0, 0], [0, 0, 0, 0]),
        (
            "MA(1): ACF cuts off after 1",
            NOISE[1:] + 0.7 * NOISE[:-1],
            None,
            [0, 0, 1],
            [0, 0, 0, 0],
        ),
        ("white noise", NOISE, None, [0, 0, 0], [0, 0, 0, 0]),
        ("random walk: one difference", np.cumsum(NOISE), None, [0, 1, 0], [0, 0, 0, 0]),
        ("seasonal MA(1), s=12", NOISE[12:] + 0.8 * NOISE[:-12], 12, [0, 0, 0], [0, 0, 1, 12]),
    ],
)
def test_suggestions_for_known_processes(name, series, season, order, seasonal_order) -> None:
    result = analyze(series, lags=40, season=season)
    assert result.suggestion["order"] == order, result.suggestion["pattern"]
    assert result.suggestion["seasonal_order"] == seasonal_order, name


def test_bands_and_lengths() -> None:
    result = analyze(NOISE, lags=20)
    assert len(result.acf) == len(result.pacf) == 21 and result.acf[0] == 1.0
    assert result.band == pytest.approx(1.96 / np.sqrt(3000))
    assert len(result.acf_confint) == 21
    assert result.adf["stationary"] and result.kpss["stationary"]


def test_season_detected_from_acf_peaks() -> None:
    t = np.arange(2000)
    y = np.sin(2 * np.pi * t / 12) + 0.3 * NOISE[:2000]
    result = analyze(y, lags=40)
    assert result.season == 12
    assert {12, 24, 36} <= set(result.acf_peaks)


@needs_ridership
def test_rail_shows_the_weekly_pattern() -> None:
    rail = load_dataset("ridership").loc["2001":"2019", "rail"].to_numpy(float)
    result = analyze(rail, lags=35)
    assert result.acf_peaks == [7, 14, 21, 28, 35]
    assert result.season == 7
    assert result.suggestion["seasonal_order"][3] == 7 and result.D == 1


def test_bad_input() -> None:
    with pytest.raises(SeqcastError, match="lags must lie between 1 and 4"):
        analyze(np.arange(10.0), lags=8)
    with pytest.raises(SeqcastError, match="constant"):
        analyze(np.ones(100))
    with pytest.raises(SeqcastError, match="missing values"):
        analyze(np.array([1.0, np.nan] * 50))


@needs_ridership
def test_order_search_by_aic_finds_the_books_model() -> None:
    orders, seasonal = order_grid([0, 1, 2], [0], [0, 1], [0, 1], [1], [0, 1], season=7)
    assert seasonal == [(0, 1, 0, 7), (0, 1, 1, 7), (1, 1, 0, 7), (1, 1, 1, 7)]
    seasonal = [(0, 1, 1, 7), (1, 1, 0, 7)]
    search = search_orders(
        load_dataset("ridership"), "rail", orders, seasonal, fit_range=("2019-01-01", "2019-05-31")
    )
    table = search.table
    assert len(table) == 12
    assert (table.loc[0, "order"], table.loc[0, "seasonal_order"]) == ("1,0,0", "0,1,1,7")
    assert table["aic"].is_monotonic_increasing


def test_order_search_keeps_failures_and_validates(daily: pd.DataFrame) -> None:
    table = search_orders(daily, "b", [(0, 0, 0), (0, 1, 0)], trend="c").table
    assert order_grid([1], [0, 1], [2]) == ([(1, 0, 2), (1, 1, 2)], [(0, 0, 0, 0)])
    assert table["error"].tolist()[-1].startswith("arima: ")  # a constant with d=1 is refused
    assert np.isfinite(table.loc[0, "aic"])
    with pytest.raises(SeqcastError, match="criterion must be aic, bic or mae"):
        search_orders(daily, "b", [(1, 0, 0)], criterion="r2")
    with pytest.raises(SeqcastError, match="needs --start and --end"):
        search_orders(daily, "b", [(1, 0, 0)], criterion="mae")


@needs_ridership
def test_analyze_command_writes_json_and_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "acf"
    code, stdout, _ = run(
        [
            "analyze",
            "--dataset",
            "ridership",
            "--target",
            "rail",
            "--start",
            "2001",
            "--end",
            "2019",
            "--lags",
            "35",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    payload = json.loads((out / "analysis.json").read_text())
    assert payload["acf_peaks"] == [7, 14, 21, 28, 35] and payload["season"] == 7
    assert len(payload["acf"]) == 36 and "pvalue" in payload["adf"] and "pvalue" in payload["kpss"]
    assert payload["first"].startswith("2001-01-01") and payload["last"].startswith("2019-12-31")
    png = (out / "acf_pacf.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "season s = 7" in stdout


@needs_ridership
def test_arima_search_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "orders"
    code, _, _ = run(
        [
            "arima-search",
            "--dataset",
            "ridership",
            "--target",
            "rail",
            "--season",
            "7",
            "--train-start",
            "2019-01-01",
            "--train-end",
            "2019-05-31",
            "--p",
            "0,1",
            "--d",
            "0",
            "--q",
            "0,1",
            "--P",
            "0",
            "--D",
            "1",
            "--Q",
            "0,1",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(out / "search.csv", dtype=str)
    assert len(table) == 8
    assert (table.loc[0, "order"], table.loc[0, "seasonal_order"]) == ("1,0,0", "0,1,1,7")
    assert json.loads((out / "search.json").read_text())["criterion"] == "aic"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "--dataset", "sine", "--target", "y"], "no column 'y'"),
        (
            ["analyze", "--dataset", "sine", "--target", "x", "--lags", "900"],
            "lags must lie between",
        ),
        (
            ["analyze", "--dataset", "sine", "--target", "x", "--start", "1990"],
            "before the data begins",
        ),
        (
            ["arima-search", "--dataset", "sine", "--target", "x", "--p", "a,b"],
            "--p takes comma-separated integers",
        ),
        (
            ["arima-search", "--dataset", "sine", "--target", "x", "--criterion", "mae"],
            "needs --start and --end",
        ),
    ],
)
def test_bad_analysis_requests(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([*args, "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and message in err
    assert not (tmp_path / "out").exists()


def test_commands_without_neural_models_do_not_import_torch() -> None:
    code = (
        "import sys, seqcast.cli; from seqcast import list_models; list_models(); "
        "import seqcast.analysis, seqcast.models.arima; "
        "print('torch' in sys.modules)"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == "False"


@pytest.mark.parametrize(
    ("series", "d", "seasonal_order"),
    [
        (0.1 * np.arange(200.0), 1, [0, 0, 0, 0]),  # a line: its differences are constant
        (np.arange(200.0) ** 2, 2, [0, 0, 0, 0]),
        (np.tile([1.0, 5.0, 2.0, 7.0], 50), 0, [0, 1, 0, 4]),  # one season repeated
    ],
)
def test_deterministic_series_get_no_arma_terms(
    series: np.ndarray, d: int, seasonal_order: list[int]
) -> None:
    result = analyze(series)
    assert result.suggestion["order"] == [0, d, 0]
    assert result.suggestion["seasonal_order"] == seasonal_order
    assert "deterministic" in result.suggestion["pattern"]
    assert result.differenced_acf == [] and len(result.acf) == result.lags + 1


def test_only_the_last_values_are_analysed() -> None:
    walk = RNG.normal(size=12_000).cumsum()
    result = analyze(walk)
    assert (result.n, result.left_out) == (10_000, 2_000)
    assert result.acf == analyze(walk[-10_000:]).acf
    assert analyze(walk, recent=500).n == 500
    with pytest.raises(SeqcastError, match="too short to analyse: 9 values, at least 10"):
        analyze(walk[:9])
    assert analyze(walk[:10], recent=3).n == 10  # never fewer than the minimum


def test_analyze_command_says_what_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dates = pd.date_range("2000-01-01", periods=10_050, freq="h")
    pd.DataFrame({"date": dates, "y": RNG.normal(size=10_050)}).to_csv(tmp_path / "h.csv")
    args = ["analyze", "--csv", str(tmp_path / "h.csv"), "--date-column", "date", "--target", "y"]
    code, stdout, _ = run([*args, "--out", str(tmp_path / "a")], capsys)
    assert code == 0
    assert f"analysed the last 10,000 of 10,050 values (from {dates[50]})" in stdout
    payload = json.loads((tmp_path / "a" / "analysis.json").read_text())
    assert payload["first"] == str(dates[50]) and payload["left_out"] == 50
    code, _, err = run([*args, "--end", "2000-01-01 08:00", "--out", str(tmp_path / "b")], capsys)
    assert code == 1 and "too short to analyse: 9 values" in err
