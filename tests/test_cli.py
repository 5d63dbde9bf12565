"""The CLI end to end: real files in, real files out, one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import needs_ridership
from conftest import run_cli as run


@pytest.fixture
def series_csv(tmp_path: Path) -> Path:
    """A clean daily CSV: 'value' rises by one a day, 'label' is text."""
    dates = pd.date_range("2021-01-01", periods=40, freq="D")
    path = tmp_path / "series.csv"
    pd.DataFrame({"day": dates.strftime("%Y-%m-%d"), "value": range(40), "label": "x"}).to_csv(
        path, index=False
    )
    return path


@needs_ridership
def test_backtest_writes_metrics_and_forecasts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "naive7"
    code, stdout, _ = run(
        [
            "backtest",
            "--dataset",
            "ridership",
            "--target",
            "rail",
            "--model",
            "seasonal_naive",
            "--set",
            "season=7",
            "--start",
            "2019-03-01",
            "--end",
            "2019-05-31",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "seasonal_naive" and metrics["target"] == "rail"
    assert metrics["horizon"] == 1 and metrics["n_forecasts"] == 92
    assert metrics["mae"] == pytest.approx(42_143.3, abs=0.05)
    assert metrics["mape"] == pytest.approx(8.995, abs=0.0005)
    assert metrics["rmse"] > metrics["mae"]
    assert len(metrics["per_horizon"]["mae"]) == 1
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert len(forecasts) == 92
    assert list(forecasts.columns) == ["origin", "time", "step", "target", "forecast", "actual"]
    assert "42,143.3" in stdout


def test_backtest_on_a_csv_with_horizon(
    series_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drift"
    code, _, _ = run(
        [
            "backtest",
            "--csv",
            str(series_csv),
            "--date-column",
            "day",
            "--target",
            "value",
            "--model",
            "drift",
            "--start",
            "2021-01-20",
            "--end",
            "2021-02-03",
            "--horizon",
            "3",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["per_horizon"]["mae"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)  # a line
    assert metrics["n_forecasts"] == 15


def test_results_are_never_overwritten(
    series_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kept"
    out.mkdir()
    (out / "metrics.json").write_text("precious")
    code, _, err = run(
        [
            "backtest",
            "--csv",
            str(series_csv),
            "--date-column",
            "day",
            "--target",
            "value",
            "--model",
            "naive",
            "--start",
            "2021-01-20",
            "--end",
            "2021-01-25",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 1 and "already exists" in err
    assert (out / "metrics.json").read_text() == "precious"


def test_benchmark_ranks_every_model_by_mae(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    models = "naive,seasonal_naive,mean,drift,arima,nlinear"  # every model: see docs/benchmarks
    code, stdout, _ = run(["benchmark", "--models", models, "--out", str(out)], capsys)  # co2
    assert code == 0
    board = pd.read_csv(out / "leaderboard.csv")
    assert set(board["model"]) == set(models.split(","))
    assert board["mae"].is_monotonic_increasing
    assert board["rank"].tolist() == list(range(1, 7))
    # The statistical models are deterministic: their order is known (docs/benchmarks.md).
    fixed = board[board["model"] != "nlinear"]["model"].tolist()
    assert fixed == ["arima", "seasonal_naive", "drift", "naive", "mean"]
    mae = board.set_index("model")["mae"]
    assert mae["nlinear"] < 0.5 * mae["naive"]  # the learned linear map does learn the cycle
    assert (board["n_forecasts"] == 209).all()
    payload = json.loads((out / "leaderboard.json").read_text())
    assert [r["model"] for r in payload["leaderboard"]] == board["model"].tolist()
    assert len(payload["models"]["naive"]["per_horizon"]["mae"]) == 52
    assert pd.read_csv(out / "per_horizon.csv", index_col=0).shape == (52, 6)
    assert (out / "forecasts.csv").is_file()
    assert "seasonal_naive" in stdout


def test_benchmark_default_folder_is_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert run(["benchmark", "--models", "naive,mean"], capsys)[0] == 0
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(folders) == 2 and all(f.startswith("benchmark-co2-") for f in folders)


def test_datasets_lists_every_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(["datasets"], capsys)
    assert code == 0
    for name in ("co2", "sine", "sine40", "ridership", "etth1", "etth2"):
        assert name in stdout


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


BAD_INPUTS = {
    "missing file": (["--csv", "{tmp}/absent.csv", "--date-column", "day"], "file not found"),
    "missing date column": (["--csv", "{csv}", "--date-column", "when"], "no column 'when'"),
    "missing target column": (
        ["--csv", "{csv}", "--date-column", "day", "--target", "rail"],
        "series.csv has no column 'rail'; its columns are: value, label",
    ),
    "non-numeric target": (
        ["--csv", "{csv}", "--date-column", "day", "--target", "label"],
        "series.csv is not numeric: 'x' at 2021-01-01",
    ),
    "unknown model": (
        ["--csv", "{csv}", "--date-column", "day", "--model", "prophet"],
        "unknown model 'prophet'; choose one of arima, comb, conv_gru, damped, deepar, dlinear",
    ),
    "unknown dataset": (["--dataset", "stocks"], "unknown dataset 'stocks'; choose one of co2"),
    "unknown --set key": (
        ["--csv", "{csv}", "--date-column", "day", "--set", "lag=3"],
        "seasonal_naive has no parameter 'lag'; its parameters are: season",
    ),
    "wrong --set type": (
        ["--csv", "{csv}", "--date-column", "day", "--set", "season=weekly"],
        "'season' must be an int, got 'weekly'",
    ),
    "series shorter than the window": (
        ["--csv", "{csv}", "--date-column", "day", "--set", "season=30"],
        "seasonal_naive needs at least 30",
    ),
    "horizon past the data": (
        ["--csv", "{csv}", "--date-column", "day", "--horizon", "20"],
        "after the data ends",
    ),
    "date range outside the data": (
        ["--csv", "{csv}", "--date-column", "day", "--end", "2022-06-01"],
        "end 2022-06-01 is after the data ends",
    ),
    "neither dataset nor csv": ([], "give exactly one of --dataset NAME or --csv PATH"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_writes_nothing(
    case: str, series_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = BAD_INPUTS[case]
    defaults = {
        "--target": "value",
        "--model": "seasonal_naive",
        "--start": "2021-01-25",
        "--end": "2021-02-05",
    }
    args = [a.format(tmp=tmp_path, csv=series_csv) for a in extra]
    for flag, value in defaults.items():
        if flag not in args:
            args += [flag, value]
    out = tmp_path / "out"
    code, _, err = run(["backtest", *args, "--out", str(out)], capsys)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


@pytest.mark.parametrize(
    ("case", "text", "message"),
    [
        (
            "unparseable dates",
            "day,value\n2021-01-01,1\nyesterday,2\n",
            "cannot parse date 'yesterday' in column 'day'",
        ),
        (
            "conflicting duplicates",
            "day,value\n2021-01-01,1\n2021-01-02,2\n2021-01-02,3\n",
            "conflicting rows for the same timestamp (same time, different values): 2021-01-02",
        ),
        (
            "missing values",
            "day,value\n2021-01-01,1\n2021-01-02,\n2021-01-03,3\n",
            "1 missing values, first at 2021-01-02",
        ),
        (
            "an infinite value",
            "day,value\n2021-01-01,1\n2021-01-02,inf\n2021-01-03,3\n",
            "column 'value' of {path} has 1 non-finite values (inf), first at 2021-01-02",
        ),
    ],
)
def test_bad_files(
    case: str, text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, text)
    code, _, err = run(
        [
            "backtest",
            "--csv",
            str(path),
            "--date-column",
            "day",
            "--target",
            "value",
            "--model",
            "naive",
            "--start",
            "2021-01-02",
            "--end",
            "2021-01-02",
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == 1 and message.format(path=path) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_console_script_help_and_error() -> None:
    script = Path(sys.executable).with_name("seqcast")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "seqcast"]
    help_text = subprocess.run(
        [*command, "backtest", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in (
        "--target",
        "--model",
        "--set",
        "--start",
        "--end",
        "--horizon",
        "--refit",
        "--out",
    ):
        assert option in help_text
    failed = subprocess.run(
        [*command, "benchmark", "--dataset", "nope"], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: unknown dataset 'nope'; choose one of co2, sine, sine40, ridership, etth1, "
        "etth2, m4-hourly, m4-daily, m4-weekly, m4-monthly, m4-quarterly, m4-yearly"
    ]
