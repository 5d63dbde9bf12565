"""Backtests and leaderboards over a panel: M4's sMAPE, MASE and OWA worked out by hand."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, create_model
from seqcast.data.panel import prepare_panel, series_lengths, series_starts
from seqcast.evaluation.benchmark import panel_benchmark
from seqcast.evaluation.metrics import owa
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.base import Forecaster


def tiny() -> pd.DataFrame:
    """Two series of six days; the last two of each are held out.

    A: 1 2 3 4 | 5 6       B: 10 10 20 20 | 20 10
    """
    table = pd.DataFrame(
        {
            "id": ["A"] * 6 + ["B"] * 6,
            "day": [*pd.date_range("2024-01-01", periods=6)] * 2,
            "y": [1, 2, 3, 4, 5, 6, 10, 10, 20, 20, 20, 10],
        }
    )
    return prepare_panel(table, "id", "day")


def test_origins_of_a_panel_see_their_own_series_up_to_them() -> None:
    panel = tiny()  # rows 0-5: A = 1..6; rows 6-11: B = 10 10 20 20 20 10
    model = create_model("drift").fit(panel, "y")
    out = model.forecast_origins(panel, [2, 3, 8], 2)  # A to 3, A to 4, B to its third value
    assert out.shape == (3, 2, 1, 1)
    assert out[:, :, 0, 0].tolist() == [[4, 5], [5, 6], [25, 30]]
    assert model.predict(1)["y"].tolist() == [7, 10]  # A's line, and B's from 10 to 10
    other = prepare_panel(
        pd.DataFrame({"id": "C", "day": pd.date_range("2024-01-01", periods=3), "y": 1.0}),
        "id",
        "day",
    )
    with pytest.raises(SeqcastError, match="not fitted on a series 'C'"):
        model.forecast_origins(other, [2], 1)


def test_smape_mase_and_owa_by_hand() -> None:
    naive = panel_backtest(create_model("naive"), tiny(), "y", 2)
    # A: forecasts 4, 4 against 5, 6: sMAPE (200·1/9 + 200·2/10) / 2; in-sample MAE of
    #    the naive forecast |2-1|, |3-2|, |4-3| -> 1, so MASE (1 + 2) / 2 / 1 = 1.5.
    # B: 20, 20 against 20, 10: sMAPE (0 + 200·10/30) / 2; scale (0 + 10 + 0) / 3, MASE 5 / (10/3).
    smape_a, smape_b = (200 / 9 + 40) / 2, (200 * 10 / 30) / 2
    assert naive.per_series.loc["A", "smape"] == pytest.approx(smape_a)
    assert naive.per_series.loc["B", "smape"] == pytest.approx(smape_b)
    assert naive.per_series["mase"].tolist() == pytest.approx([1.5, 1.5])
    assert naive.metrics["smape"] == pytest.approx((smape_a + smape_b) / 2)
    assert naive.metrics["mase"] == pytest.approx(1.5)
    # per step: +1 is (200/9 + 0) / 2 in sMAPE, +2 is (40 + 200/3) / 2
    assert naive.per_horizon["smape"].tolist() == pytest.approx([100 / 9, (40 + 200 / 3) / 2])

    board = panel_benchmark([create_model("naive"), create_model("drift")], tiny(), "y", 2)
    # drift: A's line goes on exactly (5, 6): sMAPE 0, MASE 0. B's slope is 10/3: 23.33,
    # 26.67 against 20, 10: errors 3.33 and 16.67, MAE 10, MASE 10 / (10/3) = 3.
    drift_b = (200 * (10 / 3) / (20 + 70 / 3) + 200 * (50 / 3) / (10 + 80 / 3)) / 2
    rows = board.leaderboard.set_index("model")
    assert rows.loc["drift", "smape"] == pytest.approx(drift_b / 2)
    assert rows.loc["drift", "mase"] == pytest.approx(1.5)
    # Naive2 with season 1 is the naive forecast: OWA's reference, so naive scores 1.
    assert rows.loc["naive", "owa"] == pytest.approx(1.0)
    expected = 0.5 * (drift_b / 2 / ((smape_a + smape_b) / 2) + 1.5 / 1.5)
    assert rows.loc["drift", "owa"] == pytest.approx(expected)
    assert owa(10.0, 1.0, 20.0, 2.0) == 0.5
    assert board.leaderboard["model"].tolist() == ["drift", "naive"]


def test_a_constant_series_is_named_as_left_out_of_the_scaled_means(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = tiny().reset_index()
    constant = table[table["id"] == "A"].assign(id="C", y=7.0)  # no MASE scale
    panel = prepare_panel(pd.concat([table, constant]), "id", "day")
    with caplog.at_level("INFO", logger="seqcast"):
        board = panel_benchmark([create_model("naive")], panel, "y", 2)
    naive = board.results[0]
    assert naive.unscaled == ["C"] and board.reference.unscaled == ["C"]
    assert naive.per_series.loc["C", "smape"] == 0.0  # counted where it is defined
    assert naive.metrics["smape"] == pytest.approx(naive.per_series["smape"].sum() / 3)
    assert naive.metrics["mase"] == pytest.approx(1.5)  # A's and B's, as above
    assert "MASE, MSIS and OWA leave out 1 of 3 series with no MASE scale" in caplog.text
    assert naive.to_dict()["left_out_of_mase"] == ["C"]


def test_windows_step_back_one_horizon_at_a_time() -> None:
    result = panel_backtest(create_model("naive"), tiny(), "y", 1, windows=2)
    a = result.forecasts[result.forecasts["id"] == "A"]
    assert a["window"].tolist() == [1, 2]
    assert a["forecast"].tolist() == [4.0, 5.0]  # from day 4, then from day 5
    assert a["actual"].tolist() == [5.0, 6.0]
    assert list(result.submission().columns) == ["id", "F1"]
    assert result.submission()["F1"].tolist() == [5.0, 20.0]  # the last window's


def test_local_models_give_the_same_forecasts_for_any_number_of_workers() -> None:
    t = np.arange(120)
    table = pd.DataFrame(
        {
            "id": np.repeat(["a", "b", "c"], 120),
            "day": list(pd.date_range("2024-01-01", periods=120)) * 3,
            "y": np.concatenate([k + np.sin(2 * np.pi * t / 7) + t / 50 for k in (5, 10, 20)]),
        }
    )
    panel = prepare_panel(table, "id", "day")
    one = panel_backtest(create_model("theta", season=7), panel, "y", 7, workers=1)
    two = panel_backtest(create_model("theta", season=7), panel, "y", 7, workers=2)
    pd.testing.assert_frame_equal(one.forecasts, two.forecasts)


def test_a_panel_too_short_for_the_windows_names_the_series() -> None:
    with pytest.raises(SeqcastError, match="series 'A' has 6 steps; naive with 6 held out"):
        panel_backtest(create_model("naive"), tiny(), "y", 3, windows=2)


def test_the_cli_benchmarks_a_panel_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stores.csv"
    tiny().reset_index().to_csv(path, index=False)
    out = tmp_path / "board"
    code, _, err = run_cli(
        [
            "benchmark",
            "--csv",
            str(path),
            "--date-column",
            "day",
            "--id-column",
            "id",
            "--target",
            "y",
            "--horizon",
            "2",
            "--models",
            "naive,drift",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    board = pd.read_csv(out / "leaderboard.csv")
    assert board["model"].tolist() == ["drift", "naive"] and "owa" in board
    assert (out / "forecasts" / "drift.csv").read_text().splitlines()[0] == "id,F1,F2"
    per_series = pd.read_csv(out / "per_series.csv")  # 2 models x 2 series, every metric
    assert per_series.shape == (4, 8)
    assert list(per_series.columns) == [
        "model",
        "id",
        "mae",
        "rmse",
        "mse",
        "mape",
        "smape",
        "mase",
    ]
    payload = json.loads((out / "leaderboard.json").read_text())
    assert payload["reference"]["model"] == "naive2"
    assert "model 2/2: drift running" in err  # not a terminal: a line per step
    code, _, err = run_cli(
        ["benchmark", "--csv", str(path), "--date-column", "day", "--id-column", "id"], capsys
    )
    assert code == 1 and "with a panel file, give --target and --horizon" in err
    base = ["benchmark", "--csv", str(path), "--date-column", "day", "--id-column", "id"]
    base += ["--target", "y", "--horizon", "2"]
    chosen = tmp_path / "season2"
    code, _, err = run_cli(
        [*base, "--models", "seasonal_naive", "--set", "season=2", "--out", str(chosen)], capsys
    )
    assert code == 0, err
    rows = pd.read_csv(chosen / "forecasts" / "seasonal_naive.csv", index_col="id")
    assert rows.loc["A"].tolist() == [3, 4]  # 1 2 3 4 repeats its last two (season 1: 4, 4)
    code, _, err = run_cli([*base, "--models", "naive", "--set", "season=2"], capsys)
    assert code == 1 and "naive" in err and "season" in err


def _one_by_one(name: str, **params: object) -> Forecaster:
    """The model with its _predict overridden (by itself): the shortcut is not inherited,
    so every series is fitted and forecast on its own."""
    base = type(create_model(name, **params))
    alone = dataclasses.make_dataclass(f"Alone{base.__name__}", [], bases=(base,))
    alone._predict = lambda self, *args: base._predict(self, *args)  # type: ignore[attr-defined]
    return alone(**params)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("naive", {}),
        ("seasonal_naive", {"season": 24}),
        ("mean", {}),
        ("drift", {}),
        ("naive2", {"season": 24}),
        ("ses", {"season": 24}),
        ("holt", {"season": 24}),
        ("damped", {"season": 24}),
        ("theta", {"season": 24}),
        ("comb", {"season": 24}),
    ],
)
def test_all_series_at_once_give_what_each_series_alone_gives(
    name: str, params: dict[str, object]
) -> None:
    rng = np.random.default_rng(5)
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": f"s{i}",
                    "t": pd.date_range("2021-01-01", periods=n, freq="h"),
                    "y": 50 + 10 * np.sin(np.arange(n) * np.pi / 12) + rng.normal(size=n).cumsum(),
                }
            )
            for i, n in enumerate([80, 150, 97, 260])
        ]
    )
    panel = prepare_panel(table, "id", "t")
    at_once = panel_backtest(create_model(name, **params), panel, "y", 6, windows=3, season=24)
    alone = panel_backtest(_one_by_one(name, **params), panel, "y", 6, windows=3, season=24)
    y, starts, lengths = panel["y"].to_numpy(), series_starts(panel), series_lengths(panel)
    origins = (starts + lengths - 19)[:, None] + 6 * np.arange(3)
    model = create_model(name, **params)
    assert model.grouped and not _one_by_one(name, **params).grouped
    assert model._forecast_grouped(y, starts, lengths - 18, origins, 6).shape == (4, 3, 6)
    on_two = panel_backtest(create_model(name, **params), panel, "y", 6, windows=3, workers=2)
    pd.testing.assert_frame_equal(on_two.forecasts, alone.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(at_once.forecasts, alone.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(at_once.per_series, alone.per_series, check_exact=True)
    assert at_once.metrics == alone.metrics
