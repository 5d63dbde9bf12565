"""Leaderboards and tables come from the metric registry: a metric added to
``seqcast.evaluation.metrics.METRICS`` reaches every one of them with no other edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import benchmark, create_model, panel_benchmark
from seqcast.data.panel import prepare_panel
from seqcast.evaluation import metrics


def max_error(y_true: np.ndarray, y_pred: np.ndarray, axis: metrics.Axis = None) -> object:
    """A throwaway metric: the largest absolute error."""
    gap = np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))
    return float(np.max(gap)) if axis is None else np.max(gap, axis=axis)


@pytest.fixture
def with_max_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(metrics.METRICS, "max_error", metrics.Metric(max_error, unit="units"))


def test_a_new_metric_reaches_a_series_board_and_its_scores(
    with_max_error: None, daily: pd.DataFrame
) -> None:
    board = benchmark(
        [create_model("naive"), create_model("seasonal_naive", season=7)],
        daily,
        "a",
        "2020-02-20",
        "2020-02-26",
        2,
    )
    naive = next(r for r in board.results if r.model == "naive")
    gaps = (naive.forecasts["actual"] - naive.forecasts["forecast"]).abs()
    assert naive.metrics["max_error"] == gaps.max() == 2.0  # a = t: naive is 1 or 2 behind
    assert naive.per_horizon["max_error"].tolist() == [1.0, 2.0]
    assert naive.per_target["a"]["max_error"] == 2.0
    row = board.leaderboard.set_index("model").loc["naive"]
    assert row["max_error"] == 2.0
    assert list(board.leaderboard.columns[:9]) == [
        "rank",
        "model",
        *metrics.METRICS,  # mae, rmse, mse, mape, smape, mase, then the new one
    ]


def test_a_new_metric_reaches_a_panel_board_and_the_command_tables(
    with_max_error: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # printed into a pipe, a table keeps every column whole, however wide
    table = pd.DataFrame(
        {
            "id": ["A"] * 6 + ["B"] * 6,
            "day": [*pd.date_range("2024-01-01", periods=6)] * 2,
            "y": [1, 2, 3, 4, 5, 6, 10, 10, 20, 20, 20, 10],
        }
    )
    panel = prepare_panel(table, "id", "day")
    board = panel_benchmark([create_model("naive")], panel, "y", 2)
    result = board.results[0]
    # naive from 4 (A) and 20 (B): errors 1, 2 and 0, 10
    assert result.per_series["max_error"].tolist() == [2.0, 10.0]
    assert result.metrics["max_error"] == 6.0  # the mean over series
    assert result.per_horizon["max_error"].tolist() == [0.5, 6.0]  # (1 + 0) / 2, (2 + 10) / 2
    assert "max_error" in board.leaderboard and "max_error" in board.per_series()
    path = tmp_path / "panel.csv"
    table.to_csv(path, index=False)
    common = ["--csv", str(path), "--date-column", "day", "--id-column", "id", "--horizon", "2"]
    code, out, _ = run_cli(
        ["benchmark", *common, "--target", "y", "--models", "naive", "--out", str(tmp_path / "b")],
        capsys,
    )
    assert code == 0 and "max_error units" in out
    code, out, _ = run_cli(
        ["backtest", *common, "--target", "y", "--model", "naive", "--out", str(tmp_path / "c")],
        capsys,
    )
    assert code == 0 and "max_error units" in out
