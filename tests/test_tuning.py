"""seqcast tune: the search spaces, the validation problem (the test steps never read),
a real local search whose best.json rebuilds the chosen model, and the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import prepare_panel
from seqcast.data.sources import DataSource
from seqcast.errors import SeqcastError
from seqcast.evaluation.benchmark import default_models
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.neural import input_lengths
from seqcast.models.registry import create_model
from seqcast.tuning import TuneResult, load_config, tune
from seqcast.tuning.objective import Problem, run_trial, text
from seqcast.tuning.spaces import suggest, tunable_models

TINY = ["train.windows_per_epoch=0", "train.batch_size=64"]


def noisy_panel(days: int = 120) -> pd.DataFrame:
    """Three series: a level, a weekly wave and seeded noise."""
    t = np.arange(days)
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "id": np.repeat(["a", "b", "c"], days),
            "day": list(pd.date_range("2024-01-01", periods=days)) * 3,
            "y": np.concatenate(
                [k + np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.2, days) for k in (5, 10, 20)]
            ),
        }
    )
    return prepare_panel(table, "id", "day")


def problem_of(panel: pd.DataFrame, model: str = "mlp", max_epochs: int = 2) -> Problem:
    return Problem.build(model, panel, "y", 7, 7, 7, TINY, max_epochs)


def test_input_lengths_for_hourly_data_and_a_two_day_horizon() -> None:
    assert input_lengths(24, 48) == [48, 96, 168]
    assert input_lengths(1, 1) == [2, 4, 7]


def test_spaces_sample_each_models_own_parameters() -> None:
    chosen = {
        "input_len": 96,
        "train.lr": 0.001,
        "train.batch_size": 128,
        "hidden_size": 64,
        "num_layers": 2,
        "dropout": 0.1,
    }
    fixed = optuna.trial.FixedTrial({**chosen, "highway": True})
    assert suggest(fixed, "gru", 24, 48) == {**chosen, "highway": 24}  # over the last season
    plain = optuna.trial.FixedTrial({**chosen, "highway": False})
    assert suggest(plain, "gru", 24, 48) == chosen
    segrnn = optuna.trial.FixedTrial(
        {
            "input_len": 168,
            "train.lr": 0.001,
            "train.batch_size": 256,
            "hidden_size": 128,
            "dropout": 0.2,
            "seg_len_168": 24,
        }
    )
    params = suggest(segrnn, "segrnn", 24, 48)
    assert params["seg_len"] == 24 and 168 % params["seg_len"] == 0
    with pytest.raises(SeqcastError, match="tune searches the neural models"):
        suggest(fixed, "theta", 24, 48)


@pytest.mark.parametrize("name", tunable_models())
def test_every_search_space_samples_settings_its_model_takes(name: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(4):
        params = suggest(study.ask(), name, 24, 48)
        settings = [f"{key}={text(value)}" for key, value in params.items()]
        (model,) = default_models(24, 48, [name], panel=True, settings=settings)
        for key, value in params.items():
            head, _, inner = key.partition(".")
            got = getattr(getattr(model, head), inner) if inner else getattr(model, head)
            assert got == value, key
    assert "theta" not in tunable_models() and "segrnn" in tunable_models()


def test_the_problem_scores_the_steps_before_the_test_and_never_reads_them() -> None:
    panel = noisy_panel()
    problem = problem_of(panel)
    values = panel["y"].to_numpy().reshape(3, 120)
    np.testing.assert_array_equal(problem.actual, values[:, -14:-7])  # validation: H before test
    assert problem.fit_part.groupby(level="id").size().tolist() == [106, 106, 106]
    naive2 = panel_backtest(
        create_model("naive2", season=7), panel.groupby(level="id").head(113), "y", 7, season=7
    )
    assert problem.reference == (naive2.metrics["smape"], naive2.metrics["mase"])
    # Naive2's own forecasts score OWA 1 against Naive2
    forecasts = naive2.forecasts["forecast"].to_numpy().reshape(3, 7)
    assert problem.score(forecasts)["owa"] == pytest.approx(1.0, rel=1e-12)

    spoiled = panel.copy()
    last = spoiled.groupby(level="id").cumcount(ascending=False) < 7  # the test steps
    spoiled.loc[last.to_numpy(), "y"] = 1e6
    first = run_trial(problem, {"input_len": 14})
    again = run_trial(problem_of(spoiled), {"input_len": 14})
    assert {k: first[k] for k in ("smape", "mase", "owa")} == {
        k: again[k] for k in ("smape", "mase", "owa")
    }


def test_a_trial_trains_on_its_budget_and_the_winner_keeps_its_own() -> None:
    panel = noisy_panel()
    problem = Problem.build("gru", panel, "y", 7, 7, 7, [], 3, trial_windows=100)
    trial = problem.forecaster({"hidden_size": 16})
    assert (trial.train.epochs, trial.train.windows_per_epoch) == (3, 100)
    chosen = problem.forecaster({"hidden_size": 16}, capped=False)
    assert (chosen.train.epochs, chosen.train.windows_per_epoch) == (40, 50_000)
    assert chosen.hidden_size == 16
    settings = problem.settings_of({"hidden_size": 16})
    assert "hidden_size=16" in settings and "train.windows_per_epoch=50000" in settings
    # rnn's panel defaults are an ensemble of three; a trial and its winner train one
    rnn = Problem.build("rnn", panel, "y", 7, 7, 7, [], 3, trial_windows=100)
    assert rnn.forecaster({}).ensemble == rnn.forecaster({}, capped=False).ensemble == 1
    assert "ensemble=1" in rnn.settings_of({})
    with pytest.raises(SeqcastError, match="leave ensemble at 1"):
        Problem.build("rnn", panel, "y", 7, 7, 7, ["ensemble=2"], 3)


def test_every_epoch_is_reported_and_a_report_can_stop_the_trial() -> None:
    problem = problem_of(noisy_panel(), max_epochs=3)
    seen: list[int] = []
    run_trial(problem, {}, lambda epoch, scores: seen.append(epoch))
    assert seen == [1, 2, 3]

    def stop(epoch: int, scores: dict[str, float]) -> None:
        raise optuna.TrialPruned()

    with pytest.raises(optuna.TrialPruned):
        run_trial(problem, {}, stop)


def test_a_local_search_saves_a_config_that_rebuilds_the_winner(tmp_path: Path) -> None:
    panel = noisy_panel()
    path = tmp_path / "stores.csv"
    panel.reset_index().to_csv(path, index=False)
    source = DataSource(csv=path, id_column="id", date_column="day")
    result = tune(
        "mlp",
        source,
        trials=3,
        max_epochs=2,
        grace=3,
        settings=TINY,
        target="y",
        horizon=7,
        season=7,
    )
    assert len(result.trials) == 3 and set(result.trials["state"]) == {"complete"}
    best = result.trials["owa"].min()
    assert result.config["valid"]["owa"] == pytest.approx(best)
    result.save(tmp_path / "tuned")
    model, settings = load_config(tmp_path / "tuned" / "best.json")
    (rebuilt,) = default_models(7, 7, [model], panel=True, settings=settings)
    winner = result.trials.loc[result.trials["owa"].idxmin()]
    assert rebuilt.input_len == winner["input_len"]
    assert rebuilt.train.lr == pytest.approx(winner["train.lr"], rel=1e-15)
    assert rebuilt.train.windows_per_epoch == 0  # --set under every trial, kept
    assert rebuilt.train.epochs == 40  # the panel default, not the trials' cap


def test_trials_save_with_parameters_some_did_not_sample(tmp_path: Path) -> None:
    trials = pd.DataFrame(
        [
            {"owa": 0.9, "num_layers": 1, "dropout": np.nan},
            {"owa": 0.8, "num_layers": 2, "dropout": 0.1},
        ]
    )
    TuneResult(trials, {"model": "gru", "settings": ["num_layers=2"]}).save(tmp_path / "t")
    saved = json.loads((tmp_path / "t" / "tune.json").read_text())
    assert saved["trials"][0]["dropout"] is None and saved["trials"][1]["dropout"] == 0.1
    assert pd.read_csv(tmp_path / "t" / "trials.csv")["owa"].tolist() == [0.9, 0.8]


def test_a_search_where_every_trial_fails_says_why(tmp_path: Path) -> None:
    panel = noisy_panel()
    panel["y"] -= 1000  # a count loss refuses negative values in every trial
    panel.reset_index().to_csv(tmp_path / "stores.csv", index=False)
    source = DataSource(csv=tmp_path / "stores.csv", id_column="id", date_column="day")
    counts = [*TINY, "train.loss=negbin", "scaling=none", "norm=mean"]
    said = r"no trial of 2 completed: SeqcastError: mlp: train.loss negbin"
    with pytest.raises(SeqcastError, match=said):
        tune("mlp", source, trials=2, max_epochs=1, settings=counts, target="y", horizon=7)


def test_tune_refuses_what_it_cannot_search(tmp_path: Path) -> None:
    with pytest.raises(SeqcastError, match="tune searches the neural models"):
        tune("theta", "m4-hourly")
    with pytest.raises(SeqcastError, match="tune works on a panel"):
        tune("gru", "co2")
    with pytest.raises(SeqcastError, match="trials must be a positive integer, got 0"):
        tune("gru", "co2", trials=0)
    with pytest.raises(SeqcastError, match="trial_windows must be 0 or more, got -1"):
        tune("gru", "co2", trial_windows=-1)


def test_the_cli_tunes_then_benchmarks_and_fits_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stores.csv"
    noisy_panel().reset_index().to_csv(path, index=False)
    data = ["--csv", str(path), "--id-column", "id", "--date-column", "day"]
    code, out, err = run_cli(
        [
            "tune",
            "--model",
            "mlp",
            *data,
            "--target",
            "y",
            "--horizon",
            "7",
            "--season",
            "7",
            "--trials",
            "2",
            "--max-epochs",
            "1",
            "--grace",
            "2",
            "--set",
            TINY[0],
            "--out",
            str(tmp_path / "tuned"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "validation OWA" in out
    config = tmp_path / "tuned" / "best.json"
    assert json.loads(config.read_text())["model"] == "mlp"
    code, out, err = run_cli(
        [
            "benchmark",
            *data,
            "--target",
            "y",
            "--horizon",
            "7",
            "--season",
            "7",
            "--config",
            str(config),
            "--set",
            "train.epochs=1",
            "--out",
            str(tmp_path / "board"),
        ],
        capsys,
    )
    assert code == 0, err
    board = pd.read_csv(tmp_path / "board" / "leaderboard.csv")
    assert board["model"].tolist() == ["mlp"]
    code, _, err = run_cli(
        [
            "benchmark",
            *data,
            "--target",
            "y",
            "--horizon",
            "7",
            "--models",
            "mlp",
            "--config",
            str(config),
            "--out",
            str(tmp_path / "both"),
        ],
        capsys,
    )
    assert code == 1 and "--config names its model; leave out --models" in err
    code, _, err = run_cli(
        ["fit", *data, "--target", "y", "--out", str(tmp_path / "nofit")], capsys
    )
    assert code == 1 and "give --model NAME or --config best.json" in err


def test_a_bad_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SeqcastError, match="no such configuration file"):
        load_config(tmp_path / "missing.json")
    (tmp_path / "best.json").write_text("{}")
    with pytest.raises(SeqcastError, match=r"is a directory, not a configuration file; did you"):
        load_config(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SeqcastError, match="bad.json is not a JSON configuration"):
        load_config(bad)
    bad.write_text(json.dumps({"settings": []}))
    with pytest.raises(SeqcastError, match="bad.json names no model"):
        load_config(bad)
    bad.write_text(json.dumps({"model": "gru", "settings": "input_len=48"}))
    with pytest.raises(SeqcastError, match="'settings' must be a list"):
        load_config(bad)
