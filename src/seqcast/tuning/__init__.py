"""Hyperparameter search for the neural models (``seqcast tune``).

``tune("gru", "m4-hourly", trials=16)`` samples configurations from the model's search
space (``seqcast.tuning.spaces``) with Optuna's TPE sampler, trains each on the panel cut
before its validation steps and scores it by OWA on them (``seqcast.tuning.objective``;
the test steps are never read), stopping lagging trials early: ASHA on Ray Tune with
``engine=Engine("ray")`` (one CPU per trial, trials side by side), Optuna's successive
halving in this process otherwise. The best configuration is saved as a JSON of ``--set``
settings that ``seqcast benchmark --config`` and ``seqcast fit --config`` run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast import devices
from seqcast.data.sources import DataSource
from seqcast.engines import Engine, as_engine
from seqcast.engines.gpus import task_share
from seqcast.errors import SeqcastError
from seqcast.progress import Progress
from seqcast.results import json_ready, results_dir, write_json
from seqcast.tuning.objective import REDUCTION, Problem, run_trial
from seqcast.tuning.spaces import suggest, tunable_models

CONFIG_VERSION = 1


@dataclass
class TuneResult:
    """The trials (one row each: params, validation sMAPE/MASE/OWA, epochs, seconds,
    state) and the best configuration (``config``: what best.json holds)."""

    trials: pd.DataFrame
    config: dict[str, Any]

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: best.json (the configuration), trials.csv, tune.json."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            write_json(tmp / "best.json", self.config)
            self.trials.to_csv(tmp / "trials.csv", index=False)
            trials = self.trials.to_dict(orient="records")  # NaN: a parameter not sampled
            write_json(tmp / "tune.json", json_ready({"best": self.config, "trials": trials}))
        return folder


def tune(
    model: str,
    source: str | DataSource,
    *,
    trials: int = 16,
    workers: int | Engine = 1,
    max_epochs: int = 20,
    trial_windows: int = 10_000,
    grace: int = 1,
    seed: int = 0,
    settings: list[str] | tuple[str, ...] = (),
    target: str | None = None,
    horizon: int | None = None,
    season: int | None = None,
    windows: int | None = None,
    progress: bool = False,
) -> TuneResult:
    """Search ``model``'s hyperparameters on a panel (an M4 group or a file with an id
    column); ``settings`` (``--set``) hold under every trial; each trial trains at most
    ``max_epochs`` epochs of at most ``trial_windows`` windows (0: the model's own
    epochs) and may be stopped after ``grace`` of them; the chosen configuration keeps
    the model's own epochs. Selection is on validation
    only: the H steps before the test steps (the dataset's ``windows`` x ``horizon``)."""
    source = DataSource.of(source)
    if model not in tunable_models():
        raise SeqcastError(
            f"tune searches the neural models ({', '.join(tunable_models())}); got {model!r}"
        )
    for name, value in (("trials", trials), ("max_epochs", max_epochs), ("grace", grace)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SeqcastError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(trial_windows, bool) or not isinstance(trial_windows, int) or trial_windows < 0:
        raise SeqcastError(f"trial_windows must be 0 or more, got {trial_windows!r}")
    if not source.is_panel:
        raise SeqcastError(
            "tune works on a panel (an M4 dataset, or --csv with --id-column); for one "
            "series, write it as a panel of one id"
        )
    run = source.settings(target=target, horizon=horizon, season=season, windows=windows)
    engine = as_engine(workers)
    problem = Problem.build(
        model,
        source.load(),
        run.target,
        run.season,
        run.horizon,
        run.windows * run.horizon,
        list(settings),
        max_epochs,
        trial_windows,
    )
    clock = time.perf_counter()
    with engine, Progress(trials, "trial", enabled=progress) as shown:
        problem.wide = on_gpus(engine, problem.forecaster({}).train.device)
        done = []

        def on_trial(record: dict[str, Any]) -> None:
            done.append(record)
            owa = record.get("owa")
            shown.advance(
                len(done),
                f"{record['state']}, valid OWA {owa:.4f}" if owa is not None else record["state"],
            )

        if engine.kind == "ray":
            from seqcast.tuning.ray_search import ray_search

            records = ray_search(problem, trials, engine, seed, grace, on_trial)
        else:
            records = _local_search(problem, trials, seed, grace, on_trial, shown)
    table = pd.DataFrame(records)
    complete = table[table["state"] == "complete"]
    if "owa" in complete:
        complete = complete.dropna(subset=["owa"])
    if complete.empty:
        errors = list(table["error"].dropna().unique()) if "error" in table else []
        why = "; ".join(errors[:3]) or "every one was stopped early"
        raise SeqcastError(f"no trial of {trials} completed: {why}")
    best = complete.iloc[int(complete["owa"].to_numpy().argmin())]
    config = {
        "version": CONFIG_VERSION,
        "model": model,
        "settings": problem.settings_of(dict(best["params"])),
        "sampled": json_ready(dict(best["params"])),
        "dataset": source.name,
        "selected_on": (
            f"validation: the {run.horizon} steps before the last "
            f"{run.windows * run.horizon} of every series (never the test steps)"
        ),
        "valid": {key: float(best[key]) for key in ("smape", "mase", "owa")},
        "trials": trials,
        "completed": len(complete),
        "engine": engine.kind,
        "seconds": time.perf_counter() - clock,
    }
    flat = table.drop(columns="params").join(pd.json_normalize(list(table["params"])))
    return TuneResult(flat, json_ready(config))


def on_gpus(engine: Engine, device: str) -> bool:
    """Whether the trials on ``engine`` (open) train on GPUs: locally, where ``device``
    (``train.device``) resolves to one; on Ray, where tasks get a share of the cluster's."""
    if engine.kind == "ray":
        cluster = float(engine.ray().cluster_resources().get("GPU", 0))
        return task_share(engine.gpus_per_task, cluster, ("torch",)) > 0
    return devices.resolve(device).type != "cpu"


def _local_search(
    problem: Problem,
    trials: int,
    seed: int,
    grace: int,
    on_trial: Any,
    shown: Progress,
) -> list[dict[str, Any]]:
    """Optuna in this process: TPE proposes, successive halving prunes."""
    try:
        import optuna
    except ImportError:
        raise SeqcastError('tune needs Optuna: pip install "seqcast[tune]"') from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=grace, reduction_factor=REDUCTION
        ),
    )
    records: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        shown.start(trial.number + 1, f"trial {trial.number + 1}")
        params = suggest(trial, problem.model, problem.season, problem.horizon, problem.wide)
        last: dict[str, Any] = {}

        def report(epoch: int, scores: dict[str, float]) -> None:
            last.update(scores, epochs=epoch)
            trial.report(scores["owa"], epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        record: dict[str, Any] = {"params": params}
        clock = time.perf_counter()
        try:
            final = run_trial(problem, params, report)
            record |= {**final, "state": "complete"}
            return float(final["owa"])
        except optuna.TrialPruned:
            record |= {**last, "state": "stopped"}
            raise
        except Exception as error:  # recorded; the search goes on (optuna's catch)
            record |= {"state": "error", "error": f"{type(error).__name__}: {error}"}
            raise
        finally:
            record.setdefault("seconds", time.perf_counter() - clock)
            record.setdefault("state", "error")
            records.append(record)
            on_trial(record)

    study.optimize(objective, n_trials=trials, catch=(Exception,))
    return records


def load_config(path: str | Path) -> tuple[str, list[str]]:
    """(model, settings) from a best.json written by ``tune``; a bad file is an error
    naming it."""
    path = Path(path)
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise SeqcastError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        hint = f"; did you mean {path / 'best.json'}?" if (path / "best.json").is_file() else ""
        raise SeqcastError(f"{path} is a directory, not a configuration file{hint}") from None
    except PermissionError:
        raise SeqcastError(f"{path}: no permission to read it") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SeqcastError(f"{path} is not a JSON configuration: {error}") from None
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise SeqcastError(f"{path} names no model; write it with seqcast tune")
    settings = config.get("settings", [])
    if not isinstance(settings, list) or not all(isinstance(s, str) for s in settings):
        raise SeqcastError(f"{path}: 'settings' must be a list of key=value strings")
    return config["model"], settings


__all__ = ["TuneResult", "load_config", "tune"]
