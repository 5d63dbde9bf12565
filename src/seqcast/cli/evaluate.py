"""``seqcast backtest`` and ``seqcast benchmark``: one model, or every model, scored on the
same rolling origins."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from seqcast.cli.app import app, err, out, show
from seqcast.cli.options import (
    CalibrationOpt,
    ConfigOpt,
    DeviceOpt,
    EndOpt,
    IntervalsOpt,
    LevelsOpt,
    PoolOpt,
    PrecisionOpt,
    RefitOpt,
    SettingsOpt,
    StartOpt,
    TrainStartOpt,
    WindowsOpt,
    column_names,
    configured,
    data_options,
    engine_options,
    integers,
    interval_option,
    model_names,
    number,
    training_settings,
)
from seqcast.data.sources import DataSource
from seqcast.engines import Engine
from seqcast.evaluation.benchmark import PanelBenchmark, run_backtest, run_benchmark
from seqcast.evaluation.leaderboard import interval_columns
from seqcast.evaluation.metrics import METRICS
from seqcast.evaluation.panel import PanelBacktestResult
from seqcast.models.intervals import level_name
from seqcast.models.registry import create_model, parse_overrides
from seqcast.results import check_new, fresh_path

SeasonOpt = Annotated[
    int | None,
    typer.Option(
        "--season",
        min=1,
        help="Season m of MASE's scale (default: the dataset's, else 1); benchmark also "
        "gives it to models with a season parameter.",
    ),
]


@app.command()
@data_options()
@engine_options()
def backtest(
    target: Annotated[
        str, typer.Option("--target", help="Column to forecast (comma-separated for several).")
    ],
    model: Annotated[str, typer.Option("--model", help="A registered model name.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    source: DataSource,
    where: Engine,
    start: StartOpt = None,
    end: EndOpt = None,
    settings: SettingsOpt = None,
    horizon: Annotated[
        int,
        typer.Option("--horizon", min=1, help="Steps forecast from each origin (errors per step)."),
    ] = 1,
    refit: RefitOpt = False,
    train_start: TrainStartOpt = None,
    season: SeasonOpt = None,
    windows: WindowsOpt = None,
    levels: LevelsOpt = None,
    intervals: IntervalsOpt = "auto",
    calibration: CalibrationOpt = 100,
    pool: PoolOpt = "series",
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
) -> None:
    """Rolling-origin backtest of one model: forecast --horizon steps from every origin.

    A neural model trains and forecasts on --device (default auto: a GPU when torch sees
    one) at --precision (docs/gpu.md).

    One series: each origin is the day (step) before a date in --start..--end (both
    needed). Writes OUT/metrics.json (overall, per-horizon and per-target errors),
    OUT/forecasts.csv and OUT/per_horizon.csv.

    A panel (an M4 dataset, or --csv with --id-column): every series forecasts its last
    --windows x --horizon steps, scored per series as M4 scores (sMAPE, MASE) and averaged;
    OUT also gets per_series.csv and submission.csv (M4's layout).

    Examples: seqcast backtest --dataset ridership --target rail --model seasonal_naive
    --set season=7 --start 2019-03-01 --end 2019-05-31 --out results/naive7

    The book's daily-refit SARIMA: seqcast backtest --dataset ridership --target rail
    --model arima --set order=1,0,0 --set seasonal_order=0,1,1,7 --start 2019-03-01
    --end 2019-05-31 --train-start 2019-01-01 --refit --out results/sarima

    --levels 80,95 adds prediction intervals: forecasts.csv gets lo_80, hi_80, lo_95,
    hi_95 and the scores coverage, width and MSIS per level (docs/intervals.md), and
    OUT/fan.png draws the forecasts with their bands against the truth.
    """
    check_new(out_dir)
    given = [*(settings or []), *training_settings(device, precision)]
    forecaster = create_model(model, **parse_overrides(model, given))
    result = run_backtest(
        source,
        forecaster,
        column_names(target),
        start=start,
        end=end,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
        season=season,
        windows=windows,
        workers=where,
        intervals=interval_option(levels, intervals, calibration, pool),
    )
    result.save(out_dir)
    if isinstance(result, PanelBacktestResult):
        print_scores(
            f"{result.model} on {result.n_series} series: the last {result.windows} x "
            f"{result.horizon} steps of each",
            result.metrics,
        )
        print_intervals(result.metrics, result.levels, "acd")
        warn_failures(result.model, result.failures)
    else:
        print_scores(
            f"{result.model} on {', '.join(result.targets)}: "
            f"{result.n_forecasts} forecasts of {horizon} step(s)",
            result.metrics,
        )
        print_intervals(result.metrics, result.levels, "width")
    out.print(f"results in {out_dir}")


@app.command()
@data_options(default="co2")
@engine_options()
def benchmark(
    source: DataSource,
    where: Engine,
    models: Annotated[
        str | None,
        typer.Option(
            "--models", help="Comma-separated model names (default: every registered model)."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Column to forecast (default: the dataset's).")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon", min=1, help="Steps forecast from each origin (errors reported per step)."
        ),
    ] = None,
    refit: RefitOpt = False,
    train_start: TrainStartOpt = None,
    season: SeasonOpt = None,
    windows: WindowsOpt = None,
    settings: SettingsOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    seeds: Annotated[
        str | None,
        typer.Option(
            "--seeds",
            help="Train each neural model once per seed (comma-separated): its row is the "
            "mean over them with the spread (_sd); per_seed.csv has every run; MODEL-seed-mean "
            "is the ensemble of the runs (their forecasts averaged).",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="New folder for the results (default: results/benchmark-NAME-TIME)."
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Run a preset experiment instead: sine-mlp, sine-lstm, hello or ridership "
            "(see docs/presets.md).",
        ),
    ] = None,
    config: ConfigOpt = None,
    levels: LevelsOpt = None,
    intervals: IntervalsOpt = "auto",
    calibration: CalibrationOpt = 100,
    pool: PoolOpt = "series",
) -> None:
    """Every chosen model through the same rolling-origin backtest, ranked by MAE.

    With no options: every model on the built-in co2 dataset, 52 weeks ahead from each week
    of 1997-2000. Writes leaderboard.csv/.json, per_horizon.csv (MAE per step and model),
    forecasts.csv, pictures (series.png, acf_pacf.png, forecasts.png, per_horizon.png) and
    report.html (all of it in one self-contained page) into a new folder.

    A panel (--dataset m4-hourly and the other M4 groups, or --csv with --id-column):
    every series forecasts its last --windows x --horizon steps (the M4 test period); the
    leaderboard ranks sMAPE, MASE and OWA (relative to Naive2) averaged over series, and
    the folder holds per_series.csv and each model's forecasts in M4's layout
    (forecasts/MODEL.csv: id, F1..FH). --workers shares the series of local models
    among processes; --engine ray runs them on a Ray cluster (docs/scale.md).
    Neural models train one global network over every series with panel defaults (a
    week of hourly input for M4 Hourly, batches of 256, MAE loss; docs/panels.md).

    --set key=value changes a parameter of every chosen model (an unknown one is an
    error naming the model; train.* settings go to the neural models alone); --config
    best.json runs the configuration seqcast tune chose. --device and --precision go to
    the neural models alone (docs/gpu.md).
    --seeds 1,2,3 trains each neural model three times and ranks it by the mean, with the
    spread beside it (one run's figure says little), and ranks MODEL-seed-mean beside it:
    the ensemble over the seeds (the runs' forecasts and bounds averaged). The best M4
    Hourly model so far (docs/benchmarks.md):
    seqcast benchmark --dataset m4-hourly --models mlp --set hidden_size=512
    --set num_layers=2 --set ensemble=5

    --levels 80,95 gives every model prediction intervals (--intervals auto: its own
    where it has them, else conformal) and ranks them on coverage, width or ACD, and MSIS
    too; the report adds a fan chart and a calibration plot (docs/intervals.md).

    --preset NAME runs a seed experiment (sine-mlp, sine-lstm, hello) or the book's
    ridership ladder (ridership, about 8 minutes) instead and writes preset.json, its
    pictures and report.html.
    """
    if preset is not None:
        _preset(preset, out_dir)
        return
    if out_dir is not None:
        check_new(out_dir)
    chosen, settings = configured(config, model_names(models), settings, "--models")
    board = run_benchmark(
        source,
        models=chosen,
        target=column_names(target) if target is not None else None,
        start=start,
        end=end,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
        season=season,
        windows=windows,
        workers=where,
        settings=settings,
        progress=True,
        intervals=interval_option(levels, intervals, calibration, pool),
        training=training_settings(device, precision),
        seeds=integers("--seeds", seeds) if seeds is not None else None,
    )
    destination = board.save(out_dir or fresh_path(Path("results"), f"benchmark-{source.name}"))
    if isinstance(board, PanelBenchmark):
        first = board.results[0]
        title = (
            f"{source.name}: {first.n_series} series, the last {first.windows} x "
            f"{first.horizon} steps of each"
        )
        print_board(board.leaderboard, title)
        print_interval_board(board.leaderboard, first.levels, "acd")
        for result in board.results:
            warn_failures(result.model, result.failures)
    else:
        single = board.results[0]
        title = (
            f"{source.name}: {', '.join(single.targets)}, {single.n_forecasts} origins, "
            f"{single.horizon} step(s) ahead"
        )
        print_board(board.leaderboard, title)
        print_interval_board(board.leaderboard, single.levels, "width")
    for name, error in board.failed.items():
        err.print(f"[yellow]{name} failed, left out of the ranks: {escape(error)}[/yellow]")
    out.print(f"results in {destination}")


def print_scores(title: str, scores: dict[str, float]) -> None:
    """A row of every metric (``seqcast.evaluation.metrics.METRICS``) in ``scores``."""
    table = Table(title=title)
    for name, metric in METRICS.items():
        table.add_column(metric.label(name), justify="right")
    table.add_row(*(number(scores[name]) for name in METRICS))
    show(table)


def print_board(board: pd.DataFrame, title: str) -> None:
    """The leaderboard's ranks, models, metrics (and OWA) and seconds, in its order."""
    kept = ("rank", "model", "owa", "padded", "seconds", "seeds", *METRICS)
    shown = [c for c in board.columns if c in kept or c.endswith("_sd")]
    table = Table(title=title)
    for column in shown:
        label = METRICS[column].label(column) if column in METRICS else column
        table.add_column(
            label, no_wrap=column == "model", justify="left" if column == "model" else "right"
        )
    for _, row in board.iterrows():
        table.add_row(*(_cell(column, row[column]) for column in shown))
    show(table)


def _cell(column: str, value: object) -> str:
    """A board's value as its table shows it."""
    if pd.isna(value):  # type: ignore[call-overload]
        if column in ("rank", "seconds") or column.endswith("_sd"):
            return ""  # a model that failed; a spread of one run
        return "n/a"  # a model that failed
    if column == "seconds":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    if column in ("rank", "seeds"):
        return str(int(value))  # type: ignore[call-overload]
    return str(value) if column == "model" else number(value)


def print_interval_board(board: pd.DataFrame, levels: tuple[float, ...], middle: str) -> None:
    """Each model's intervals, in the leaderboard's order: coverage, ``middle`` (width or
    acd) and MSIS per level."""
    if not levels:
        return
    table = Table(title="prediction intervals")
    table.add_column("model", no_wrap=True)
    columns = interval_columns(levels, middle)
    for column in columns:
        table.add_column(column, justify="right")
    for _, row in board.iterrows():
        table.add_row(str(row["model"]), *(number(row[column]) for column in columns))
    show(table)


def _preset(name: str, out_dir: Path | None) -> None:
    """One seed experiment into a new folder, and its figures and tables printed."""
    from seqcast.experiments.presets import find_preset, run_preset

    find_preset(name)  # an unknown name fails before any folder is named
    destination = out_dir or fresh_path(Path("results"), f"preset-{name}")
    check_new(destination)
    result = run_preset(name, destination)
    out.print(f"[bold]{name}[/bold]: {escape(result.description)}")
    for key, value in result.facts.items():
        out.print(f"  {key}: {escape(str(value))}")
    for table_name, table in result.tables.items():
        out.print(f"  {table_name}:")
        out.print(escape(table.to_string()))
    out.print(f"results in {destination}")


def print_intervals(scores: dict[str, float], levels: tuple[float, ...], middle: str) -> None:
    """A row per interval level: its coverage, ``middle`` (width or acd) and MSIS."""
    if not levels:
        return
    table = Table(title="prediction intervals")
    for column in ("level %", "coverage", middle, "msis"):
        table.add_column(column, justify="right")
    for level in levels:
        name = level_name(level)
        cells = (scores[f"{score}_{name}"] for score in ("coverage", middle, "msis"))
        table.add_row(name, *(number(value) for value in cells))
    show(table)


def warn_failures(model: str, failures: dict[str, str]) -> None:
    """Say which series a model could not forecast (left out of its scores)."""
    if not failures:
        return
    shown = "; ".join(f"{key}: {error}" for key, error in list(failures.items())[:5])
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    err.print(
        f"[yellow]{model} failed on {len(failures)} series, left out of its scores "
        f"(metrics.json lists them): {escape(shown)}{more}[/yellow]"
    )
