"""Every chosen model through the same backtest, ranked by MAE.

``run_benchmark("co2")`` is the main job in one call: every registered model with the
parameters it suggests for the dataset's season and horizon, over the dataset's default
backtest range. ``benchmark(models, data, ...)`` is the same for any models and data.
``Benchmark.save(folder)`` writes the leaderboard, the per-step errors, the forecasts, the
pictures and a self-contained report.html.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from seqcast.data.sources import DataSource, RunSettings
from seqcast.engines import Engine, TaskFailures, as_engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.evaluation import backtest as series_backtest
from seqcast.evaluation import metrics
from seqcast.evaluation import panel as panel_backtests
from seqcast.evaluation.backtest import BacktestResult, backtest
from seqcast.evaluation.leaderboard import panel_board, series_board
from seqcast.evaluation.panel import PanelBacktestResult, panel_backtest, unscaled_note
from seqcast.evaluation.reports import write_benchmark_report, write_panel_report
from seqcast.evaluation.seeds import (
    check_seeds,
    failures,
    over_seeds,
    seed_means,
    seeded_models,
    with_seed_means,
)
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Intervals
from seqcast.models.registry import create_model, list_models, model_class, parse_overrides
from seqcast.parameters import field_types
from seqcast.progress import Progress
from seqcast.results import json_ready, results_dir, write_json

logger = logging.getLogger("seqcast")
R = TypeVar("R")


@dataclass
class Benchmark:
    """The leaderboard (one row per model, best MAE first; a model that failed last, with
    its error), each model's backtest, the data they ran on, a title for the report and
    the error of each model that failed; run over seeds, each run's row (``per_seed``)."""

    leaderboard: pd.DataFrame
    results: list[BacktestResult]
    data: pd.DataFrame
    title: str = "seqcast benchmark"
    failed: dict[str, str] = field(default_factory=dict)
    per_seed: pd.DataFrame | None = None

    def per_horizon(self, metric: str = "mae") -> pd.DataFrame:
        """(H, models): ``metric`` at each step +1..+H for every model."""
        return pd.DataFrame({r.model: r.per_horizon[metric] for r in self.results})

    def to_dict(self) -> dict[str, Any]:
        rows = self.leaderboard.to_dict(orient="records")
        details = {r.model: r.to_dict() for r in self.results}
        record = {"leaderboard": rows, "models": details, "failed": self.failed}
        return json_ready(record | _seed_rows(self.per_seed))

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder`` (refused if it exists; it appears only when complete):
        leaderboard.csv/.json, per_horizon.csv (MAE per step and model), forecasts.csv,
        series.png, acf_pacf.png, forecasts.png, per_horizon.png and report.html; over
        seeds, per_seed.csv."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.leaderboard.to_csv(tmp / "leaderboard.csv", index=False)
            if self.per_seed is not None:
                self.per_seed.to_csv(tmp / "per_seed.csv", index=False)
            write_json(tmp / "leaderboard.json", self.to_dict())
            self.per_horizon("mae").to_csv(tmp / "per_horizon.csv")
            pd.concat(
                [r.forecasts.assign(model=r.model) for r in self.results], ignore_index=True
            ).to_csv(tmp / "forecasts.csv", index=False)
            write_benchmark_report(tmp, self.leaderboard, self.results, self.data, self.title)
        return folder


def _seed_rows(per_seed: pd.DataFrame | None) -> dict[str, Any]:
    """Each seed's rows for a leaderboard's JSON (nothing for a run without seeds)."""
    return {} if per_seed is None else {"per_seed": per_seed.to_dict(orient="records")}


def default_models(
    season: int,
    horizon: int,
    names: Sequence[str] | None = None,
    *,
    panel: bool = False,
    settings: Sequence[str] = (),
    training: Sequence[str] = (),
) -> list[Forecaster]:
    """Registered models (all, or ``names``), each with the parameters it suggests for data
    with this season and horizon, on one series or a ``panel`` (``Forecaster.defaults_for``),
    then ``settings`` (``key=value`` as ``--set`` takes them) over them; a setting a model
    lacks is an error naming it. Training settings (``train.lr=0.01`` among ``settings``,
    and ``training``: ``train.device=cuda``) go to the models that train a network and no
    others; given to models none of which trains one, they are an error."""
    chosen = list(names) if names is not None else list_models()
    own = [s for s in settings if not s.partition("=")[0].strip().startswith("train.")]
    training = [*(s for s in settings if s not in own), *training]
    trains = {name: "train" in field_types(model_class(name)) for name in chosen}
    if training and not any(trains.values()):
        raise SeqcastError(
            f"{training[0]}: none of {', '.join(chosen)} trains a network (train.* settings "
            "are the neural models')"
        )
    models = []
    for name in chosen:
        params = model_class(name).defaults_for(season, horizon, panel=panel)
        given = [*own, *training] if trains[name] else own
        for key, value in parse_overrides(name, given).items():
            if isinstance(value, dict) and isinstance(params.get(key), dict):
                value = {**params[key], **value}
            params[key] = value
        models.append(create_model(name, **params))
    return models


def run_benchmark(
    source: str | DataSource = "co2",
    *,
    models: Sequence[str] | None = None,
    target: str | Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    horizon: int | None = None,
    refit: bool = False,
    train_start: str | None = None,
    season: int | None = None,
    windows: int | None = None,
    workers: int | Engine = 1,
    settings: Sequence[str] = (),
    progress: bool = False,
    intervals: Intervals | None = None,
    training: Sequence[str] = (),
    seeds: Sequence[int] | None = None,
) -> Benchmark | PanelBenchmark:
    """Every registered model (or the names in ``models``) on a dataset or file, each with
    the parameters it suggests for the season and horizon (``Forecaster.defaults_for``).

    A built-in dataset supplies what is not given: its target, horizon, backtest range,
    training start and season (``seqcast datasets``); a file needs ``target``, ``start``
    and ``end`` (its season defaults to 1). ``settings`` (``["ensemble=5",
    "train.lr=0.01"]``, as ``--set`` takes them) go over every chosen model's defaults;
    ``training`` ones (``["train.device=cuda"]``) over the neural models' alone.
    A panel (many series: an M4 group, or a file
    with an id column) is scored on the last ``windows`` x ``horizon`` steps of every
    series instead (``seqcast.evaluation.panel``) and needs no dates. ``workers`` (a number
    of local processes or an ``Engine``) runs the models of one series side by side, or a
    panel's series of each local model. ``intervals`` (levels, and whose intervals)
    adds prediction intervals to every model and their scores to the leaderboard. Returns
    the ranked ``Benchmark`` or ``PanelBenchmark``.

    With ``seeds`` every neural model trains once per seed (``train.seed``) and its row is
    the mean over them with the spread of the ranking scores (``evaluation.seeds``); the
    statistical models run once; each run's row is in ``per_seed``; forecasts, pictures
    and the report are the first seed's. Each network also gets a row MODEL-seed-mean: the
    mean of its runs' forecasts (the ensemble over seeds), scored like any model.
    """
    source = DataSource.of(source)
    run = source.settings(
        target=target,
        horizon=horizon,
        season=season,
        windows=windows,
        start=start,
        end=end,
        train_start=train_start,
    )
    candidates = default_models(  # names and settings checked before the data is read
        run.season,
        run.horizon,
        models,
        panel=source.is_panel,
        settings=settings,
        training=training,
    )
    chosen = check_seeds(seeds) if seeds is not None else []  # before the data is read
    data = source.load()  # once, whatever the seeds
    once = partial(_run_once, source, data, run, intervals, refit, workers, progress)
    if seeds is None:
        return once(candidates)
    runs = []
    for number, seed in enumerate(chosen):
        seeded = seeded_models(candidates, seed, first=number == 0)
        if number and not seeded:
            break  # nothing draws from a seed: one run says it all
        logger.info(f"seed {seed} ({number + 1} of {len(chosen)})")
        runs.append(once(seeded))
    by = "owa" if source.is_panel else "mae"
    boards = [result.leaderboard for result in runs]
    first = runs[0]
    first.leaderboard, first.per_seed = over_seeds(boards, chosen[: len(runs)], by)
    first.failed = failures(boards)
    if intervals is not None:  # the names the runs' results have
        candidates = [intervals.apply(m, run.horizon, run.season) for m in candidates]
    _add_seed_means(first, [result.results for result in runs], candidates, by)
    return first


def _add_seed_means(
    first: Benchmark | PanelBenchmark,
    runs: list[list[Any]],
    models: list[Forecaster],
    by: str,
) -> None:
    """Give ``first`` (the first seed's benchmark, its board over seeds) each network's
    ensemble over the ``runs``: its result and its ranked row."""
    if isinstance(first, PanelBenchmark):
        means, networks = seed_means(runs, models, partial(panel_backtests.mean_of, first.data))
        rows = panel_board(means, networks, first.reference) if means else None
    else:
        means, networks = seed_means(runs, models, partial(series_backtest.mean_of, first.data))
        rows = series_board(means, networks) if means else None
    if rows is not None:
        first.leaderboard = with_seed_means(first.leaderboard, rows, by, len(runs))
        first.results = [*first.results, *means]


def _run_once(
    source: DataSource,
    data: pd.DataFrame,
    run: RunSettings,
    intervals: Intervals | None,
    refit: bool,
    workers: int | Engine,
    progress: bool,
    candidates: list[Forecaster],
) -> Benchmark | PanelBenchmark:
    """One benchmark of ``candidates`` on ``data`` (``source``'s, read once) as
    ``run_benchmark`` describes it."""
    if intervals is not None:
        candidates = [intervals.apply(m, run.horizon, run.season) for m in candidates]
    levels = intervals.levels if intervals is not None else None
    title = f"seqcast benchmark: {source.name}"
    if source.is_panel:
        return panel_benchmark(
            candidates,
            data,
            run.target,
            run.horizon,
            windows=run.windows,
            season=run.season,
            workers=workers,
            title=title,
            progress=progress,
            levels=levels,
        )
    assert run.start is not None and run.end is not None  # settings() needs them of a series
    return benchmark(
        candidates,
        data,
        run.targets,
        run.start,
        run.end,
        run.horizon,
        refit=refit,
        train_start=run.train_start,
        season=run.season,
        title=title,
        progress=progress,
        workers=workers,
        levels=levels,
    )


def run_backtest(
    source: str | DataSource,
    model: Forecaster,
    target: str | Sequence[str],
    *,
    start: str | None = None,
    end: str | None = None,
    horizon: int = 1,
    refit: bool = False,
    train_start: str | None = None,
    season: int | None = None,
    windows: int | None = None,
    workers: int | Engine = 1,
    intervals: Intervals | None = None,
) -> BacktestResult | PanelBacktestResult:
    """``model`` through the backtest on a dataset or file (``seqcast backtest``): on one
    series from every origin whose first step lies in ``start``..``end`` (both needed),
    fitted from ``train_start`` (default: the start of the data); on a panel the last
    ``windows`` x ``horizon`` steps of every series. The season and a panel's windows are
    the dataset's unless given; ``intervals`` adds prediction intervals and their scores."""
    source = DataSource.of(source)
    if not source.is_panel and (start is None or end is None):
        raise SeqcastError("give --start and --end (the range of first forecast steps)")
    run = source.settings(
        target=target, horizon=horizon, season=season, windows=windows, start=start, end=end
    )
    if intervals is not None:
        model = intervals.apply(model, run.horizon, run.season)
    levels = intervals.levels if intervals is not None else None
    if source.is_panel:
        result = panel_backtest(
            model,
            source.load(),
            run.target,
            run.horizon,
            windows=run.windows,
            season=run.season,
            workers=workers,
            levels=levels,
        )
        if result.unscaled:
            logger.info(f"MASE and MSIS leave out {unscaled_note(result)}")
        return result
    assert run.start is not None and run.end is not None  # checked above
    return backtest(
        model,
        source.load(),
        run.targets,
        run.start,
        run.end,
        run.horizon,
        refit=refit,
        train_start=train_start,
        season=run.season,
        workers=workers,
        levels=levels,
    )


def benchmark(
    models: Sequence[Forecaster],
    data: pd.DataFrame,
    targets: str | Sequence[str],
    start: str,
    end: str,
    horizon: int,
    *,
    refit: bool = False,
    train_start: str | None = None,
    season: int = 1,
    title: str = "seqcast benchmark",
    progress: bool = False,
    workers: int | Engine = 1,
    levels: Sequence[float] | None = None,
) -> Benchmark:
    """Backtest each model on the same origins; the leaderboard is sorted by MAE. With
    ``progress``, which model runs, n of N and the time so far go to stderr. ``workers``
    (a number of local processes or an ``Engine``) runs the models side by side, each
    backtest in one process (the same results as one after another). With interval
    ``levels`` every model must have intervals (its own, or wrapped in ``Conformal``);
    the board gains coverage_L, width_L and msis_L."""
    run = partial(
        backtest,
        data=data,
        targets=targets,
        start=start,
        end=end,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
        season=season,
        levels=levels,
    )
    engine = as_engine(workers)
    if engine.in_process:
        results, ran, failed = each_model(
            models,
            run,
            progress,
            lambda r: f"{r.model}: MAE {r.metrics['mae']:.4g} in {r.seconds:.1f} s",
        )
    else:
        results, ran, failed = _side_by_side(models, run, engine, progress)
    board = series_board(results, ran, failed)
    return Benchmark(board, results, data, title, failed)


def each_model(
    models: Sequence[Forecaster],
    run: Callable[[Forecaster], R],
    progress: bool,
    done: Callable[[R], str],
) -> tuple[list[R], list[Forecaster], dict[str, str]]:
    """Each model through ``run``, one after another (``done`` says how a result went): the
    results and models of those that ran, and the error of each that failed or refused the
    data, which does not stop the others. Every model failing is an error."""
    results, ran, failed = [], [], {}
    with Progress(len(models), "model", enabled=progress) as shown:
        for number, model in enumerate(models, start=1):
            shown.start(number, model.name)
            try:
                result = run(model)
            except Exception as error:  # the others go on; the board shows this one's error
                failed[model.name] = (
                    str(error)
                    if isinstance(error, SeqcastError)
                    else (f"{type(error).__name__}: {error}")
                )
                shown.advance(number, f"{model.name} failed: {failed[model.name]}")
                continue
            results.append(result)
            ran.append(model)
            shown.advance(number, done(result))
    _refuse_none_ran(results, failed)
    return results, ran, failed


def _side_by_side(
    models: Sequence[Forecaster],
    run: Callable[[Forecaster], BacktestResult],
    engine: Engine,
    progress: bool,
) -> tuple[list[BacktestResult], list[Forecaster], dict[str, str]]:
    """``each_model``, with the models side by side on ``engine``."""
    preload = tuple(dict.fromkeys(module for model in models for module in model.preload))
    failed: dict[str, str] = {}
    with engine, Progress(1, "run", enabled=progress) as shown:
        shown.start(1, f"{len(models)} models on {engine.kind} ({engine.width()} at once)")
        names = [model.name for model in models]
        try:
            outcomes: list[BacktestResult | None] = list(
                run_tasks(run, list(models), engine, labels=names, what="models", preload=preload)
            )
        except TaskFailures as some:
            outcomes, failed = some.results, some.failures
        shown.advance(1, f"{len(models)} models done")
    ran = [model for model, result in zip(models, outcomes, strict=True) if result is not None]
    results = [result for result in outcomes if result is not None]
    _refuse_none_ran(results, failed)
    return results, ran, failed


def _refuse_none_ran(results: Sequence[object], failed: dict[str, str]) -> None:
    if not results and not failed:
        raise SeqcastError("no models to compare: give at least one")
    if not results:
        shown = "; ".join(f"{name}: {error}" for name, error in failed.items())
        raise SeqcastError(f"every model failed: {shown}")


@dataclass
class PanelBenchmark:
    """The leaderboard (best OWA first), each model's panel backtest, the reference (Naive2)
    OWA is measured against, the panel, a title for the report and the error of each model
    that failed (a row at the end of the board); run over seeds, each run's row
    (``per_seed``)."""

    leaderboard: pd.DataFrame
    results: list[PanelBacktestResult]
    reference: PanelBacktestResult
    data: pd.DataFrame
    title: str = "seqcast benchmark"
    failed: dict[str, str] = field(default_factory=dict)
    per_seed: pd.DataFrame | None = None

    def per_horizon(self, metric: str = "smape") -> pd.DataFrame:
        """(H, models): ``metric`` at each step ahead for every model."""
        return pd.DataFrame({r.model: r.per_horizon[metric] for r in self.results})

    def per_series(self) -> pd.DataFrame:
        """One row per (model, series): every metric."""
        return pd.concat(
            [r.per_series.reset_index().assign(model=r.model) for r in self.results],
            ignore_index=True,
        )[["model", "id", *metrics.METRICS]]

    def to_dict(self) -> dict[str, Any]:
        return json_ready(
            {
                "leaderboard": self.leaderboard.to_dict(orient="records"),
                "reference": self.reference.to_dict(),
                "models": {r.model: r.to_dict() for r in self.results},
                "failed": self.failed,
            }
            | _seed_rows(self.per_seed)
        )

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: leaderboard.csv/.json, per_horizon.csv (sMAPE per step and
        model), per_series.csv, forecasts/MODEL.csv (M4's submission layout), per_horizon.png,
        series.png and report.html; with interval levels also intervals/MODEL.csv, every
        scored step with its bounds (id, window, origin, time, step, forecast, actual,
        lo_L, hi_L); over seeds, per_seed.csv."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.leaderboard.to_csv(tmp / "leaderboard.csv", index=False)
            if self.per_seed is not None:
                self.per_seed.to_csv(tmp / "per_seed.csv", index=False)
            write_json(tmp / "leaderboard.json", self.to_dict())
            self.per_horizon("smape").to_csv(tmp / "per_horizon.csv")
            self.per_series().to_csv(tmp / "per_series.csv", index=False)
            (tmp / "forecasts").mkdir()
            for result in self.results:
                result.submission().to_csv(tmp / "forecasts" / f"{result.model}.csv", index=False)
            if any(result.levels for result in self.results):
                (tmp / "intervals").mkdir()
                for result in self.results:
                    result.forecasts.to_csv(tmp / "intervals" / f"{result.model}.csv", index=False)
            write_panel_report(
                tmp, self.leaderboard, self.results, self.reference, self.data, self.title
            )
        return folder


def panel_benchmark(
    models: Sequence[Forecaster],
    panel: pd.DataFrame,
    target: str,
    horizon: int,
    *,
    windows: int = 1,
    season: int = 1,
    workers: int | Engine = 1,
    title: str = "seqcast benchmark",
    progress: bool = False,
    levels: Sequence[float] | None = None,
) -> PanelBenchmark:
    """Every model through the same panel backtest (local models' series on ``workers``: a
    number of local processes or an ``Engine``); the leaderboard is sorted by OWA. A model
    whose series partly failed is scored, against Naive2 too, on the series it forecast;
    the ``failed`` column counts the others. With interval ``levels`` every model must have
    intervals (its own, or wrapped in ``Conformal``); the board gains coverage_L, acd_L and
    msis_L."""
    engine = as_engine(workers)
    run = partial(
        panel_backtest,
        panel=panel,
        target=target,
        horizon=horizon,
        windows=windows,
        season=season,
        workers=engine,
        levels=levels,
    )
    with engine:  # one set of workers for every model
        results, ran, failed = each_model(
            models,
            run,
            progress,
            lambda r: (
                f"{r.model}: sMAPE {r.metrics['smape']:.3f}, MASE {r.metrics['mase']:.3f} "
                f"in {r.seconds:.1f} s ({r.n_series / max(r.seconds, 1e-9):,.0f} series/s)"
            ),
        )
        reference = next((r for r in results if r.model == "naive2"), None)
        if reference is None:
            reference = run(create_model("naive2", season=season), levels=None)
    if reference.unscaled:
        logger.info(f"MASE, MSIS and OWA leave out {unscaled_note(reference)}")
    board = panel_board(results, ran, reference, failed)
    return PanelBenchmark(board, results, reference, panel, title, failed)
