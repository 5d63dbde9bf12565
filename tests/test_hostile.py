"""What a hostile but realistic user does: models that cannot forecast the values say so
(never NaN with exit 0), counts refuse negative targets, seasons longer than every series
are refused; output folders that cannot take the results are refused before any work, and
results that cannot be put in place are kept and named; a failing model or picture costs
only itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast import SeqcastError, benchmark, create_model, panel_backtest
from seqcast.data.panel import prepare_panel
from seqcast.results import check_new, results_dir


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


def test_out_is_checked_before_any_work_and_results_are_never_lost(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    with pytest.raises(SeqcastError, match="cannot write under .*afile is a file, not a folder"):
        check_new(afile / "model")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for link in ("link", "dangling"):
        with pytest.raises(SeqcastError, match="is a symbolic link"):
            check_new(tmp_path / link)
    target = tmp_path / "results"
    with (
        pytest.raises(
            SeqcastError, match=r"could not write the results to .*results .* they are in (.*)"
        ) as caught,
        results_dir(target) as tmp,
    ):
        (tmp / "metrics.json").write_text("{}")
        target.mkdir()  # another run takes the name meanwhile
        (target / "theirs.txt").write_text("theirs")
    kept = Path(str(caught.value).rsplit("they are in ", 1)[1])
    assert (kept / "metrics.json").read_text() == "{}" and not kept.name.startswith(".")
    assert (target / "theirs.txt").read_text() == "theirs"  # the other run's results stay


def test_results_follow_the_umask(tmp_path: Path, daily: pd.DataFrame) -> None:
    old = os.umask(0o027)
    try:
        model = create_model("linear", input_len=8, train={"epochs": 1})
        model.fit(daily, "a").save(tmp_path / "m.pt")
        with results_dir(tmp_path / "r") as tmp:
            (tmp / "x.csv").write_text("1")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.pt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "r").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "r" / "x.csv").stat().st_mode) == 0o640


def test_a_benchmark_keeps_the_models_that_ran_and_a_report_skips_what_cannot_be_drawn(
    tmp_path: Path,
) -> None:
    line = days(np.arange(120.0))  # perfectly linear: its differences are constant
    models = [
        create_model("naive"),
        create_model("drift"),
        create_model("seasonal_naive", season=200),
    ]
    board = benchmark(models, line, "y", "2020-04-01", "2020-04-20", 2)
    rows = board.leaderboard.set_index("model")
    assert list(board.leaderboard["model"]) == ["drift", "naive", "seasonal_naive"]
    assert rows.loc["drift", "mae"] == 0.0 and np.isnan(rows.loc["seasonal_naive", "rank"])
    assert "seasonal_naive needs at least 200" in rows.loc["seasonal_naive", "error"]
    assert board.failed == {"seasonal_naive": rows.loc["seasonal_naive", "error"]}
    board.save(tmp_path / "b")
    assert "not drawn" not in (tmp_path / "b" / "report.html").read_text()
    assert (tmp_path / "b" / "acf_pacf.png").exists()
    early = benchmark(models[:2], line, "y", "2020-01-06", "2020-01-20", 2)  # 5 values fitted
    early.save(tmp_path / "e")
    report = (tmp_path / "e" / "report.html").read_text()
    assert "not drawn" in report and "too short to analyse: 5 values" in report
    assert (tmp_path / "e" / "series.png").exists() and not (
        tmp_path / "e" / "acf_pacf.png"
    ).exists()
    with pytest.raises(SeqcastError, match="every model failed: seasonal_naive: "):
        benchmark(models[2:], line, "y", "2020-04-01", "2020-04-20", 2)
