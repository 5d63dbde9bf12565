"""The search on Ray Tune: Optuna's TPE sampler (``OptunaSearch``) proposes, ASHA stops
the trials whose validation OWA lags at the same epoch, one CPU per trial. The problem
(the data) goes to the object store once (``tune.with_parameters``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from seqcast.engines import Engine, limit_threads
from seqcast.engines.gpus import task_share
from seqcast.tuning.objective import REDUCTION, Problem, run_trial
from seqcast.tuning.spaces import suggest


def ray_search(
    problem: Problem,
    trials: int,
    engine: Engine,
    seed: int,
    grace: int,
    on_trial: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """Run ``trials`` trials on the cluster of ``engine`` (open); one record per trial
    (params, scores, state)."""
    engine.ray()  # connected
    import optuna
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    searcher = OptunaSearch(
        space=_Space(problem.model, problem.season, problem.horizon, problem.wide),
        metric="owa",
        mode="min",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )
    scheduler = ASHAScheduler(
        metric="owa",
        mode="min",
        max_t=problem.max_epochs + 1,
        grace_period=grace,
        reduction_factor=REDUCTION,
    )
    cluster = float(engine.ray().cluster_resources().get("GPU", 0))
    share = task_share(engine.gpus_per_task, cluster, ("torch",))  # a trial trains a network
    resources = {"cpu": 1, **({"gpu": share} if share else {})}
    trainable = tune.with_resources(tune.with_parameters(_trainable, problem=problem), resources)
    with tempfile.TemporaryDirectory(prefix="seqcast-tune-") as storage:
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(
                search_alg=searcher,
                scheduler=scheduler,
                num_samples=trials,
            ),
            run_config=tune.RunConfig(
                storage_path=storage, verbose=0, callbacks=[_reporter(on_trial)]
            ),
        )
        grid = tuner.fit()
        return [_record(grid[i]) for i in range(len(grid))]


class _Space:
    """The model's search space, define-by-run, as OptunaSearch takes it (it pickles its
    space with the experiment, so this is a plain class, not a closure)."""

    def __init__(self, model: str, season: int, horizon: int, wide: bool) -> None:
        self.model, self.season, self.horizon, self.wide = model, season, horizon, wide

    def __call__(self, trial: Any) -> None:
        suggest(trial, self.model, self.season, self.horizon, self.wide)


def _reporter(on_trial: Callable[[dict[str, Any]], None]) -> Any:
    """A Ray Tune callback handing each finished trial to ``on_trial``. Ray Tune saves its
    callbacks with the experiment; this one pickles as nothing (the progress display it
    feeds stays in this process)."""
    from ray import tune

    class Reporter(tune.Callback):
        def __init__(self) -> None:
            self.on_trial: Callable[[dict[str, Any]], None] | None = on_trial

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.on_trial is not None:
                self.on_trial(_record(trial))

        on_trial_error = on_trial_complete

        def __reduce__(self) -> Any:
            return (_no_reporter, ())

    return Reporter()


def _no_reporter() -> Any:
    """What a pickled reporter becomes: a callback that reports nothing."""
    from ray import tune

    return tune.Callback()


def _trainable(config: dict[str, Any], problem: Problem) -> None:
    """One trial on a Ray worker: every epoch's validation scores, then the final ones."""
    from ray import tune

    limit_threads(1)
    final = run_trial(problem, config, lambda epoch, scores: tune.report(dict(scores)))
    tune.report({**final, "final": True})


def _record(trial: Any) -> dict[str, Any]:
    """A trial (while running: ray.tune Trial; after: a Result) as a plain record."""
    result = getattr(trial, "last_result", None) or getattr(trial, "metrics", {}) or {}
    error = getattr(trial, "error", None)
    return {
        "params": dict(trial.config),
        "owa": result.get("owa"),
        "smape": result.get("smape"),
        "mase": result.get("mase"),
        "epochs": result.get("epochs", result.get("training_iteration")),
        "seconds": result.get("time_total_s"),
        "state": "error" if error else ("complete" if result.get("final") else "stopped"),
    }
