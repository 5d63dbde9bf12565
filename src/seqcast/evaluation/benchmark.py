"""Every chosen model through the same backtest, ranked by MAE.

``run_benchmark("co2")`` is the main job in one call: every registered model with the
parameters it suggests for the dataset's season and horizon, over the dataset's default
backtest range. ``benchmark(models, data, ...)`` is the same for any models and data.
``Benchmark.save(folder)`` writes the leaderboard, the per-step errors, the forecasts, the
pictures and a self-contained report.html.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from seqcast.data.sources import DataSource
from seqcast.engines import Engine, as_engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import BacktestResult, backtest
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Intervals
from seqcast.models.intervals import level_name
from seqcast.models.registry import create_model, list_models, model_class, parse_overrides
from seqcast.progress import Progress

if TYPE_CHECKING:
    from seqcast.evaluation.panel import PanelBenchmark
from seqcast.results import json_ready, results_dir, write_json

LEADERBOARD_METRICS = ("mae", "rmse", "mape", "smape", "mase")


@dataclass
class Benchmark:
    """The leaderboard (one row per model, best MAE first), each model's backtest, the data
    they ran on and a title for the report."""

    leaderboard: pd.DataFrame
    results: list[BacktestResult]
    data: pd.DataFrame
    title: str = "seqcast benchmark"

    def per_horizon(self, metric: str = "mae") -> pd.DataFrame:
        """(H, models): ``metric`` at each step +1..+H for every model."""
        return pd.DataFrame({r.model: r.per_horizon[metric] for r in self.results})

    def to_dict(self) -> dict[str, Any]:
        rows = self.leaderboard.to_dict(orient="records")
        details = {r.model: r.to_dict() for r in self.results}
        return json_ready({"leaderboard": rows, "models": details})

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder`` (refused if it exists; it appears only when complete):
        leaderboard.csv/.json, per_horizon.csv (MAE per step and model), forecasts.csv,
        series.png, acf_pacf.png, forecasts.png, per_horizon.png and report.html."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.leaderboard.to_csv(tmp / "leaderboard.csv", index=False)
            write_json(tmp / "leaderboard.json", self.to_dict())
            self.per_horizon("mae").to_csv(tmp / "per_horizon.csv")
            pd.concat(
                [r.forecasts.assign(model=r.model) for r in self.results], ignore_index=True
            ).to_csv(tmp / "forecasts.csv", index=False)
            write_benchmark_report(self, tmp)
        return folder


def default_models(
    season: int,
    horizon: int,
    names: Sequence[str] | None = None,
    *,
    panel: bool = False,
    settings: Sequence[str] = (),
) -> list[Forecaster]:
    """Registered models (all, or ``names``), each with the parameters it suggests for data
    with this season and horizon, on one series or a ``panel`` (``Forecaster.defaults_for``),
    then ``settings`` (``key=value`` as ``--set`` takes them, ``train.lr=0.01`` included)
    over them; a setting a model lacks is an error naming it."""
    chosen = list(names) if names is not None else list_models()
    models = []
    for name in chosen:
        params = model_class(name).defaults_for(season, horizon, panel=panel)
        for key, value in parse_overrides(name, settings).items():
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
) -> Benchmark | PanelBenchmark:
    """Every registered model (or the names in ``models``) on a dataset or file, each with
    the parameters it suggests for the season and horizon (``Forecaster.defaults_for``).

    A built-in dataset supplies what is not given: its target, horizon, backtest range,
    training start and season (``seqcast datasets``); a file needs ``target``, ``start``
    and ``end`` (its season defaults to 1). ``settings`` (``["ensemble=5",
    "train.lr=0.01"]``, as ``--set`` takes them) go over every chosen model's defaults.
    A panel (many series: an M4 group, or a file
    with an id column) is scored on the last ``windows`` x ``horizon`` steps of every
    series instead (``seqcast.evaluation.panel``) and needs no dates. ``workers`` (a number
    of local processes or an ``Engine``) runs the models of one series side by side, or a
    panel's series of each local model. ``intervals`` (levels, and whose intervals)
    adds prediction intervals to every model and their scores to the leaderboard. Returns
    the ranked ``Benchmark`` or ``PanelBenchmark``.
    """
    source = DataSource.of(source)
    info = source.info
    defaults = info.benchmark if info else None
    if source.is_panel:
        return _run_panel_benchmark(
            source,
            models,
            target,
            horizon,
            season,
            windows,
            workers,
            settings,
            progress,
            intervals,
        )
    chosen_target = target or (defaults.target if defaults else None)
    chosen_start = start or (defaults.start if defaults else None)
    chosen_end = end or (defaults.end if defaults else None)
    if chosen_target is None or chosen_start is None or chosen_end is None:
        raise SeqcastError("with --csv, give --target, --start and --end")
    chosen_season = season or (info.season if info else 1)
    chosen_horizon = horizon or (defaults.horizon if defaults else 1)
    candidates = default_models(  # names and settings checked first
        chosen_season, chosen_horizon, models, settings=settings
    )
    if intervals is not None:
        candidates = [intervals.apply(m, chosen_horizon, chosen_season) for m in candidates]
    data = source.load()
    return benchmark(
        candidates,
        data,
        [chosen_target] if isinstance(chosen_target, str) else list(chosen_target),
        chosen_start,
        chosen_end,
        chosen_horizon,
        refit=refit,
        train_start=train_start or (defaults.train_start if defaults else None),
        season=chosen_season,
        title=f"seqcast benchmark: {source.name}",
        progress=progress,
        workers=workers,
        levels=intervals.levels if intervals is not None else None,
    )


def _run_panel_benchmark(
    source: DataSource,
    models: Sequence[str] | None,
    target: str | Sequence[str] | None,
    horizon: int | None,
    season: int | None,
    windows: int | None,
    workers: int | Engine,
    settings: Sequence[str],
    progress: bool,
    intervals: Intervals | None,
) -> PanelBenchmark:
    """``run_benchmark`` on a panel: the dataset's defaults, else ``target`` and
    ``horizon`` given."""
    from seqcast.evaluation.panel import panel_benchmark

    chosen_target, chosen_horizon, chosen_season, chosen_windows = panel_settings(
        source, target, horizon, season, windows
    )
    candidates = default_models(  # names and settings checked first
        chosen_season, chosen_horizon, models, panel=True, settings=settings
    )
    if intervals is not None:
        candidates = [intervals.apply(m, chosen_horizon, chosen_season) for m in candidates]
    return panel_benchmark(
        candidates,
        source.load(),
        chosen_target,
        chosen_horizon,
        windows=chosen_windows,
        season=chosen_season,
        workers=workers,
        title=f"seqcast benchmark: {source.name}",
        progress=progress,
        levels=intervals.levels if intervals is not None else None,
    )


def panel_settings(
    source: DataSource,
    target: str | Sequence[str] | None,
    horizon: int | None,
    season: int | None,
    windows: int | None,
) -> tuple[str, int, int, int]:
    """A panel's (target, horizon, season, windows): those given, else the dataset's; a
    file needs ``target`` and ``horizon`` (season and windows default to 1)."""
    info = source.info
    defaults = info.benchmark if info else None
    chosen_target = target or (defaults.target if defaults else None)
    chosen_horizon = horizon or (defaults.horizon if defaults else None)
    if chosen_target is None or chosen_horizon is None:
        raise SeqcastError("with a panel file, give --target and --horizon")
    if not isinstance(chosen_target, str):
        if len(chosen_target) != 1:
            raise SeqcastError("a panel forecasts one target column")
        chosen_target = chosen_target[0]
    chosen_season = season or (info.season if info else 1)
    return (
        chosen_target,
        chosen_horizon,
        chosen_season,
        windows or (defaults.windows if defaults else 1),
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
    if not engine.in_process:
        with Progress(1, "run", enabled=progress) as shown:
            shown.start(1, f"{len(models)} models on {engine.kind} ({engine.width()} at once)")
            names = [model.name for model in models]
            results = run_tasks(run, list(models), engine, labels=names, what="models")
            shown.advance(1, f"{len(models)} models done")
    else:
        results = []
        with Progress(len(models), "model", enabled=progress) as shown:
            for number, model in enumerate(models, start=1):
                shown.start(number, model.name)
                results.append(run(model))
                shown.advance(
                    number,
                    f"{model.name}: MAE {results[-1].metrics['mae']:.4g} "
                    f"in {results[-1].seconds:.1f} s",
                )
    rows = [
        {
            "model": r.model,
            **{m: r.metrics[m] for m in LEADERBOARD_METRICS},
            **{
                f"{score}_{level_name(level)}": r.metrics[f"{score}_{level_name(level)}"]
                for level in r.levels
                for score in ("coverage", "width", "msis")
            },
            "n_forecasts": r.n_forecasts,
            "seconds": round(r.seconds, 3),
            "params": params_text(model),
        }
        for r, model in zip(results, models, strict=True)
    ]
    board = pd.DataFrame(rows).sort_values("mae", kind="mergesort", ignore_index=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    return Benchmark(board, results, data, title)


def params_text(model: Forecaster) -> str:
    """``k=v, ...`` for the parameters that differ from the model's defaults."""
    return ", ".join(f"{k}={v}" for k, v in model.changed_params().items())


def write_benchmark_report(board: Benchmark, folder: Path, top: int = 5) -> Path:
    """Pictures (the series with the fit and backtest spans, ACF/PACF of the fitted part,
    1-step forecasts of the ``top`` models against the truth, MAE per step ahead) and
    ``report.html`` (the leaderboard, the pictures, the per-step table) in ``folder``."""
    from seqcast.analysis import analyze
    from seqcast.evaluation.interval_report import interval_sections
    from seqcast.plots import plot_forecasts, plot_per_horizon, plot_series
    from seqcast.report import write_report

    first = board.results[0]
    target = first.targets[0]
    forecasts = first.forecasts
    span_start, span_end = forecasts["time"].min(), forecasts["time"].max()
    series = board.data[target]
    before = series.loc[: forecasts["origin"].min()]
    plot_series(
        series,
        {"fitted on": (before.index[0], before.index[-1]), "backtest": (span_start, span_end)},
        folder / "series.png",
        f"{target}: the data, what the models were fitted on, the backtest span",
    )
    analyze(before.to_numpy(dtype=float)).plot(
        folder / "acf_pacf.png", f"{target}: autocorrelation of the fitted part"
    )
    best = list(board.leaderboard["model"][:top])
    by_model = {r.model: r for r in board.results}
    one_step = {}
    for name in best:
        rows = by_model[name].forecasts
        rows = rows[(rows["step"] == 1) & (rows["target"] == target)]
        one_step[name] = pd.Series(rows["forecast"].to_numpy(), index=rows["time"])
    first_steps = next(iter(one_step.values())).index
    truth = series.loc[first_steps[0] : first_steps[-1]]
    plot_forecasts(truth, one_step, folder / "forecasts.png", f"{target}: 1-step forecasts")
    per_horizon = board.per_horizon("mae")
    plot_per_horizon(per_horizon[best], folder / "per_horizon.png")
    report = folder / "report.html"
    leaderboard = board.leaderboard.set_index("rank")
    write_report(
        report,
        board.title,
        {
            "target": ", ".join(first.targets),
            "origins": first.n_forecasts,
            "steps ahead": first.horizon,
            "backtest": f"{_day(span_start)} to {_day(span_end)}",
        },
        {
            "Leaderboard": leaderboard,
            "the series, the fitted part and the backtest span": folder / "series.png",
            "ACF and PACF of the fitted part": folder / "acf_pacf.png",
            f"1-step forecasts of the best {len(best)} models against the truth": folder
            / "forecasts.png",
            f"MAE per step ahead, best {len(best)} models": folder / "per_horizon.png",
            "MAE per step ahead": per_horizon,
            **interval_sections(
                board.results, best[0], folder, lambda result, path: result.fan_chart(path)
            ),
        },
    )
    return report


def _day(stamp: pd.Timestamp) -> str:
    """The date alone when the time is midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
