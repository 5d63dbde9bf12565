"""The Python API does each job in one call, with the same results as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import seqcast
from seqcast import DataSource, SeqcastError
from seqcast.runs import fit_model, forecast, open_checkpoint

BASELINES = ["naive", "seasonal_naive", "drift", "mean"]


def test_run_benchmark_is_the_main_job_in_one_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = seqcast.run_benchmark("co2", models=BASELINES)
    # co2's defaults: 52 weeks ahead from every week of 1997-2000, season 52
    assert all(r.horizon == 52 and r.n_forecasts == 209 for r in board.results)
    assert board.leaderboard["model"].tolist() == ["seasonal_naive", "drift", "naive", "mean"]
    folder = board.save(tmp_path / "api")
    written = pd.read_csv(folder / "leaderboard.csv")
    for name in ("per_horizon.csv", "forecasts.csv", "leaderboard.json", "report.html"):
        assert (folder / name).is_file()
    with pytest.raises(SeqcastError, match="already exists"):
        board.save(folder)
    code, _, _ = run_cli(
        ["benchmark", "--models", ",".join(BASELINES), "--out", str(tmp_path / "cli")], capsys
    )
    assert code == 0
    from_cli = pd.read_csv(tmp_path / "cli" / "leaderboard.csv")
    pd.testing.assert_frame_equal(written.drop(columns="seconds"), from_cli.drop(columns="seconds"))


def test_run_benchmark_on_a_file_needs_its_target_and_range(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    dates = pd.date_range("2021-01-01", periods=40, freq="D")
    pd.DataFrame({"day": dates, "value": np.arange(40.0)}).to_csv(path, index=False)
    source = DataSource(csv=str(path), date_column="day")
    with pytest.raises(SeqcastError, match="give --target, --start and --end"):
        seqcast.run_benchmark(source, models=["drift"])
    board = seqcast.run_benchmark(
        source, models=["drift", "naive"], target="value", start="2021-01-20", end="2021-02-05"
    )
    assert board.leaderboard["model"].tolist() == ["drift", "naive"]
    assert board.leaderboard["mae"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # a line


def test_a_data_source_travels_as_plain_data(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("when,y\n2021-01-01,1\n2021-01-02,2\n")
    source = DataSource(csv=str(path), date_column="when", fill="ffill")
    record = json.loads(json.dumps(source.to_dict()))
    assert DataSource.from_dict(record) == DataSource(
        csv=str(path.resolve()), date_column="when", fill="ffill"
    )
    assert source.name == "x" and source.info is None
    assert source.load()["y"].tolist() == [1, 2]
    assert DataSource.of("co2").info is not None and DataSource.of(source) is source
    for kwargs, message in (
        ({}, "give exactly one of --dataset NAME or --csv PATH"),
        ({"dataset": "co2", "csv": "x.csv"}, "give exactly one"),
        ({"csv": "x.csv"}, "--csv needs --date-column"),
        ({"csv": "x.csv", "date_column": "d", "fill": "zero"}, "unknown --fill 'zero'"),
        ({"dataset": "stocks"}, "unknown dataset 'stocks'"),
    ):
        with pytest.raises(SeqcastError, match=message):
            DataSource(**kwargs)  # type: ignore[arg-type]


def test_fit_then_forecast_from_python(tmp_path: Path) -> None:
    run = fit_model(
        "linear",
        DataSource(dataset="sine40"),
        "x",
        {"input_len": 40, "strategy": "direct", "horizon": 10, "train": {"epochs": 20}},
        train_range=(None, "2002-01-29"),
    )
    assert str(run.last).startswith("2002-01-29")  # t = 759
    folder = run.save(tmp_path / "fit")
    assert json.loads((folder / "training.json").read_text())["epochs"] == 20
    model, data = open_checkpoint(folder / "model.pt")  # the data it was trained on
    assert len(data) == 800
    result = forecast(model, data, 10, origin="2002-01-29")
    np.testing.assert_allclose(result.truth["x"], np.sin(2 * np.pi * np.arange(760, 770) / 40))
    assert np.abs(result.forecast["x"] - result.truth["x"]).mean() < 0.05
    saved = result.save(tmp_path / "forecast")
    assert list(pd.read_csv(saved / "forecast.csv", index_col=0).columns) == ["x", "x (truth)"]
    with pytest.raises(SeqcastError, match="fit takes a neural model"):
        fit_model("drift", DataSource(dataset="sine40"), "x")
