"""Results over seeds: each neural model once per seed, its row the mean with the spread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, create_model
from seqcast.data.sources import DataSource
from seqcast.evaluation.benchmark import run_benchmark
from seqcast.evaluation.seeds import (
    check_seeds,
    failures,
    over_seeds,
    seeded_models,
    with_seed_means,
)


def board(rows: list[tuple[str, float, float, int]], failed: dict[str, str] | None = None):
    frame = pd.DataFrame(rows, columns=["model", "mae", "rmse", "n_forecasts"])
    frame["params"] = ""
    frame = frame.sort_values("mae", ignore_index=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    if failed:
        errors = pd.DataFrame({"model": list(failed), "error": list(failed.values())})
        frame = pd.concat([frame, errors], ignore_index=True)
    return frame


def test_the_board_is_the_mean_with_the_spread_of_each_model() -> None:
    runs = [
        board([("naive", 2.0, 3.0, 10), ("gru", 1.0, 1.5, 10), ("mlp", 1.2, 1.4, 10)]),
        board([("gru", 1.4, 1.9, 10), ("mlp", 1.0, 1.2, 10)], {"wavenet": "boom"}),
        board([("gru", 1.5, 2.0, 10), ("mlp", 1.1, 1.3, 10)], {"wavenet": "boom again"}),
    ]
    merged, per_seed = over_seeds(runs, [7, 8, 9], "mae")
    assert merged["model"].tolist() == ["mlp", "gru", "naive", "wavenet"]
    gru = merged.set_index("model").loc["gru"]
    assert gru["mae"] == pytest.approx(np.mean([1.0, 1.4, 1.5]))
    assert gru["mae_sd"] == pytest.approx(np.std([1.0, 1.4, 1.5], ddof=1))
    assert gru["rmse_sd"] == pytest.approx(np.std([1.5, 1.9, 2.0], ddof=1))
    assert gru["seeds"] == 3 and gru["n_forecasts"] == 10
    assert merged["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(merged["rank"].iloc[3])
    assert merged["error"].iloc[3] == "boom"  # the first error of a model that never ran
    assert np.isnan(merged.set_index("model").loc["naive", "mae_sd"])  # one run: no spread
    assert len(per_seed) == 7 and per_seed["seed"].tolist() == [7, 7, 7, 8, 8, 9, 9]
    assert list(merged.columns[:6]) == ["rank", "model", "mae", "mae_sd", "rmse", "rmse_sd"]
    assert failures(runs) == {"wavenet": "boom"}


def test_networks_get_each_seed_and_the_others_run_once() -> None:
    models = [create_model("naive"), create_model("mlp", train={"epochs": 3, "lr": 0.01})]
    first = seeded_models(models, 5, first=True)
    later = seeded_models(models, 6, first=False)
    assert [m.name for m in first] == ["naive", "mlp"] and [m.name for m in later] == ["mlp"]
    assert first[1].train.seed == 5 and later[0].train.seed == 6  # type: ignore[attr-defined]
    assert later[0].train.epochs == 3 and later[0].train.lr == 0.01  # type: ignore[attr-defined]
    assert models[1].train.seed == 0  # type: ignore[attr-defined]  # the given model untouched
    for bad in ([], [1, 1], [1.5], ["2"]):
        with pytest.raises(SeqcastError, match="seeds must"):
            check_seeds(bad)  # type: ignore[arg-type]


def test_each_seed_is_the_run_with_that_seed() -> None:
    common = {"models": ["naive", "linear"], "training": ["train.epochs=3"]}
    result = run_benchmark("co2", seeds=[1, 2], **common)  # type: ignore[arg-type]
    per_seed = result.per_seed
    assert per_seed is not None
    assert sorted(per_seed["model"]) == ["linear", "linear", "naive"]
    for seed in (1, 2):
        settings = [*common["training"], f"train.seed={seed}"]
        alone = run_benchmark("co2", models=["linear"], settings=settings)
        mine = per_seed[(per_seed["model"] == "linear") & (per_seed["seed"] == seed)]
        assert mine["mae"].item() == alone.leaderboard["mae"].item()  # bit for bit on a CPU
    row = result.leaderboard.set_index("model").loc["linear"]
    maes = per_seed[per_seed["model"] == "linear"]["mae"]
    assert row["mae"] == pytest.approx(maes.mean()) and row["seeds"] == 2
    assert "train.seed" not in row["params"]


def test_a_panel_over_seeds_ranks_by_mean_owa(tmp_path: Path) -> None:
    t = np.arange(80, dtype=float)
    rows = []
    for i, level in enumerate([10.0, 20.0, 40.0]):
        noise = np.random.default_rng(i).normal(0, 0.05, 80)
        y = level * (1 + 0.3 * np.sin(2 * np.pi * t / 7) + noise)
        days = pd.date_range("2024-01-01", periods=80, freq="D")
        rows.append(pd.DataFrame({"id": f"s{i}", "day": days, "y": y}))
    path = tmp_path / "panel.csv"
    pd.concat(rows).to_csv(path, index=False)
    source = DataSource(csv=path, id_column="id", date_column="day")
    result = run_benchmark(
        source,
        models=["naive2", "mlp"],
        target="y",
        horizon=7,
        season=7,
        training=["train.epochs=2"],
        seeds=[3, 4],
    )
    board = result.leaderboard.set_index("model")
    assert {"smape_sd", "mase_sd", "owa_sd", "seeds"} <= set(board.columns)
    assert board.loc["mlp", "seeds"] == 2 and board.loc["naive2", "seeds"] == 1
    assert board.loc["naive2", "owa"] == pytest.approx(1.0)
    folder = result.save(tmp_path / "out")
    assert len(pd.read_csv(folder / "per_seed.csv")) == 3
    runs = [  # each seed alone: the ensemble's forecast is their mean
        run_benchmark(
            source, models=["mlp"], target="y", horizon=7, season=7, settings=settings
        ).results[0]
        for settings in (["train.epochs=2", f"train.seed={s}"] for s in (3, 4))
    ]
    mean = (runs[0].forecasts["forecast"] + runs[1].forecasts["forecast"]) / 2
    actual = runs[0].forecasts["actual"]
    smape = (200 * (actual - mean).abs() / (actual.abs() + mean.abs())).groupby(
        runs[0].forecasts["id"]
    )
    assert board.loc["mlp-seed-mean", "smape"] == pytest.approx(smape.mean().mean())
    assert board.loc["mlp-seed-mean", "seeds"] == 2
    submission = pd.read_csv(folder / "forecasts" / "mlp-seed-mean.csv")
    assert submission.shape == (3, 8)
    assert submission.iloc[:, 1:].to_numpy().ravel() == pytest.approx(mean.to_numpy())


def test_cli_benchmark_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["benchmark", "--models", "linear,dlinear", "--set", "train.epochs=2"]
    code, stdout, err = run_cli([*common, "--seeds", "1,2", "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    assert "mae_sd" in stdout and "seeds" in stdout
    assert (tmp_path / "a" / "per_seed.csv").is_file()
    code, _, err = run_cli([*common, "--seeds", "1,1", "--out", str(tmp_path / "b")], capsys)
    assert code != 0 and "seeds must differ, got [1, 1]" in err
    assert not (tmp_path / "b").exists()


def test_the_seed_mean_is_the_mean_forecast_scored_like_a_model(tmp_path: Path) -> None:
    common = {"models": ["naive", "linear"], "training": ["train.epochs=3"]}
    result = run_benchmark("co2", seeds=[1, 2], **common)  # type: ignore[arg-type]
    alone = [
        run_benchmark("co2", models=["linear"], settings=[*common["training"], f"train.seed={s}"])
        for s in (1, 2)
    ]
    frames = [run.results[0].forecasts for run in alone]
    mean = (frames[0]["forecast"] + frames[1]["forecast"]) / 2
    mae = float(np.mean(np.abs(frames[0]["actual"] - mean)))
    board = result.leaderboard.set_index("model")
    assert board.loc["linear-seed-mean", "mae"] == pytest.approx(mae, rel=1e-12)
    assert board.loc["linear-seed-mean", "seeds"] == 2
    assert np.isnan(board.loc["linear-seed-mean", "mae_sd"])
    assert "naive-seed-mean" not in board.index  # drew nothing: one run
    assert result.leaderboard["rank"].tolist() == list(range(1, 4))
    assert list(result.leaderboard["mae"]) == sorted(result.leaderboard["mae"])
    ensemble = next(r for r in result.results if r.model == "linear-seed-mean")
    assert ensemble.forecasts["forecast"].to_numpy() == pytest.approx(mean.to_numpy())
    folder = result.save(tmp_path / "out")
    assert "linear-seed-mean" in set(pd.read_csv(folder / "leaderboard.csv")["model"])
    assert "linear-seed-mean" not in set(pd.read_csv(folder / "per_seed.csv")["model"])


def test_runs_of_different_origins_have_no_mean() -> None:
    from seqcast.evaluation.backtest import mean_of

    data = DataSource.of("co2").load()
    kwargs = {"models": ["naive"], "horizon": 4}
    early = run_benchmark("co2", start="1998-01", end="1998-03", **kwargs).results[0]
    late = run_benchmark("co2", start="1998-04", end="1998-06", **kwargs).results[0]
    with pytest.raises(SeqcastError, match="naive-seed-mean: the runs forecast different"):
        mean_of(data, [early, late], "naive-seed-mean")
    assert mean_of(data, [early, early], "same").metrics["mae"] == early.metrics["mae"]


def test_seed_means_rank_among_the_models_and_failures_stay_last() -> None:
    merged, _ = over_seeds(
        [
            board([("gru", 1.0, 1.5, 10), ("mlp", 1.2, 1.4, 10)], {"wavenet": "boom"}),
            board([("gru", 1.4, 1.9, 10), ("mlp", 1.0, 1.2, 10)]),
        ],
        [1, 2],
        "mae",
    )
    rows = board([("gru-seed-mean", 0.9, 1.3, 10), ("mlp-seed-mean", 1.15, 1.2, 10)])
    rows["params"] = "hidden_size=64, train.seed=1"
    joined = with_seed_means(merged, rows, "mae", 2)
    assert joined["model"].tolist() == ["gru-seed-mean", "mlp", "mlp-seed-mean", "gru", "wavenet"]
    assert joined["rank"].tolist()[:4] == [1, 2, 3, 4] and pd.isna(joined["rank"].iloc[4])
    assert joined["seeds"].tolist()[:4] == [2, 2, 2, 2]
    assert joined["params"].iloc[0] == "hidden_size=64"
    assert list(joined.columns) == list(merged.columns)
