"""The ``seqcast`` command: a thin layer over the Python API.

Each command parses its options, calls the same public functions a Python user would, and
writes its results into a new ``--out`` folder. Bad input ends with one line on stderr
starting ``error:`` and exit status 1; nothing is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seqcast import __version__
from seqcast.backtest import backtest as run_backtest
from seqcast.benchmark import default_models, run_benchmark
from seqcast.data.datasets import (
    DATA_DIR_VARIABLE,
    DatasetInfo,
    cache_dir,
    dataset_info,
    list_datasets,
    load_dataset,
)
from seqcast.data.io import FILL_METHODS, load_frame
from seqcast.errors import SeqcastError
from seqcast.models.registry import create_model, model_class, parse_overrides
from seqcast.results import check_new, fresh_path, results_dir, write_json

app = typer.Typer(
    help="Forecast time series with neural networks, measured against honest baselines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

DatasetOpt = Annotated[
    str | None, typer.Option("--dataset", help="A built-in dataset (see `seqcast datasets`).")
]
CsvOpt = Annotated[
    Path | None,
    typer.Option("--csv", help="A CSV or Parquet file of your own (with --date-column)."),
]
DateColumnOpt = Annotated[
    str | None, typer.Option("--date-column", help="The column of --csv holding the timestamps.")
]
FreqOpt = Annotated[
    str | None,
    typer.Option("--freq", help="Frequency of --csv (D, h, W-SAT, ...); inferred when omitted."),
]
FillOpt = Annotated[
    str | None,
    typer.Option(
        "--fill",
        help=f"Fill missing values of --csv: {' or '.join(FILL_METHODS)}. "
        "By default they are an error.",
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help=f"Folder holding dataset files (overrides ${DATA_DIR_VARIABLE})."
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start", help="First date of the range holding each forecast's first step (+1)."
    ),
]
EndOpt = Annotated[
    str | None,
    typer.Option(
        "--end", help="Last date of that range (partial dates work: 2019-05 is all of May)."
    ),
]
HorizonOpt = Annotated[
    int | None,
    typer.Option(
        "--horizon", min=1, help="Steps forecast from each origin (errors reported per step)."
    ),
]
RefitOpt = Annotated[
    bool, typer.Option("--refit", help="Refit the model at every origin on the data up to it.")
]
TrainStartOpt = Annotated[
    str | None,
    typer.Option(
        "--train-start", help="First date any fit may use (default: the start of the data)."
    ),
]
SeasonOpt = Annotated[
    int | None,
    typer.Option(
        "--season",
        min=1,
        help="Season m of MASE's scale (default: the dataset's, else 1); benchmark also "
        "gives it to models with a season parameter.",
    ),
]


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"seqcast {__version__}")
        raise typer.Exit()


@app.command()
def datasets(data_dir: DataDirOpt = None) -> None:
    """List the built-in datasets: name, frequency, length, columns, source."""
    folder = data_dir or os.environ.get(DATA_DIR_VARIABLE)
    table = Table(title="seqcast datasets")
    for column in ("name", "freq", "rows", "columns", "season", "available", "source"):
        table.add_column(column, overflow="fold")
    for info in list_datasets():
        if info.remote is None:
            where = "built in"
        elif folder and (Path(folder) / info.remote.filename).is_file():
            where = f"in {folder}"
        elif (cache_dir() / info.remote.filename).is_file():
            where = "cached"
        else:
            where = "download on first use"
        table.add_row(
            info.name,
            info.freq,
            f"{info.n_rows:,}",
            ", ".join(info.columns),
            str(info.season),
            where,
            info.source,
        )
    out.print(table)


@app.command()
def backtest(
    target: Annotated[
        str, typer.Option("--target", help="Column to forecast (comma-separated for several).")
    ],
    model: Annotated[str, typer.Option("--model", help="A registered model name.")],
    start: Annotated[
        str,
        typer.Option(
            "--start", help="First date of the range holding each forecast's first step (+1)."
        ),
    ],
    end: Annotated[
        str,
        typer.Option(
            "--end", help="Last date of that range (partial dates work: 2019-05 is all of May)."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Model parameter as key=value (repeatable), e.g. --set season=7."
        ),
    ] = None,
    horizon: Annotated[
        int,
        typer.Option("--horizon", min=1, help="Steps forecast from each origin (errors per step)."),
    ] = 1,
    refit: RefitOpt = False,
    train_start: TrainStartOpt = None,
    season: SeasonOpt = None,
) -> None:
    """Rolling-origin backtest of one model: forecast --horizon steps from every origin.

    Each origin is the day (step) before a date in --start..--end. Writes OUT/metrics.json
    (overall, per-horizon and per-target errors), OUT/forecasts.csv and OUT/per_horizon.csv.

    Example: seqcast backtest --dataset ridership --target rail --model seasonal_naive
    --set season=7 --start 2019-03-01 --end 2019-05-31 --out results/naive7
    """
    check_new(out_dir)
    frame, info = _load(dataset, csv, date_column, freq, fill, data_dir)
    forecaster = create_model(model, **parse_overrides(model, settings or []))
    result = run_backtest(
        forecaster,
        frame,
        _targets(target),
        start,
        end,
        horizon,
        refit=refit,
        train_start=train_start,
        season=season or (info.season if info else 1),
    )
    with results_dir(out_dir) as tmp:
        write_json(tmp / "metrics.json", result.to_dict())
        result.forecasts.to_csv(tmp / "forecasts.csv", index=False)
        result.per_horizon.to_csv(tmp / "per_horizon.csv")
    table = Table(
        title=f"{result.model} on {', '.join(result.targets)}: "
        f"{result.n_forecasts} forecasts of {horizon} step(s)"
    )
    for column in ("mae", "rmse", "mape %", "smape %", "mase"):
        table.add_column(column, justify="right")
    m = result.metrics
    table.add_row(*(_num(m[k]) for k in ("mae", "rmse", "mape", "smape", "mase")))
    out.print(table)
    out.print(f"results in {out_dir}")


@app.command()
def benchmark(
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
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
    horizon: HorizonOpt = None,
    refit: RefitOpt = False,
    train_start: TrainStartOpt = None,
    season: SeasonOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="New folder for the results (default: results/benchmark-NAME-TIME)."
        ),
    ] = None,
) -> None:
    """Every chosen model through the same rolling-origin backtest, ranked by MAE.

    With no options: every model on the built-in co2 dataset, 52 weeks ahead from each week
    of 1997-2000. Writes leaderboard.csv/.json, per_horizon.csv (MAE per step and model) and
    forecasts.csv into a new folder.
    """
    if dataset is None and csv is None:
        dataset = "co2"
    if out_dir is not None:
        check_new(out_dir)
    frame, info = _load(dataset, csv, date_column, freq, fill, data_dir)
    defaults = info.benchmark if info else None
    chosen_target = target or (defaults.target if defaults else None)
    chosen_start = start or (defaults.start if defaults else None)
    chosen_end = end or (defaults.end if defaults else None)
    if chosen_target is None or chosen_start is None or chosen_end is None:
        raise SeqcastError("with --csv, give --target, --start and --end")
    chosen_season = season or (info.season if info else 1)
    names = _model_names(models)
    board = run_benchmark(
        default_models(chosen_season, names),
        frame,
        _targets(chosen_target),
        chosen_start,
        chosen_end,
        horizon or (defaults.horizon if defaults else 1),
        refit=refit,
        train_start=train_start or (defaults.train_start if defaults else None),
        season=chosen_season,
    )
    destination = out_dir or fresh_path(Path("results"), f"benchmark-{dataset or csv.stem}")  # type: ignore[union-attr]
    with results_dir(destination) as tmp:
        board.leaderboard.to_csv(tmp / "leaderboard.csv", index=False)
        write_json(tmp / "leaderboard.json", board.to_dict())
        board.per_horizon("mae").to_csv(tmp / "per_horizon.csv")
        pd.concat(
            [r.forecasts.assign(model=r.model) for r in board.results], ignore_index=True
        ).to_csv(tmp / "forecasts.csv", index=False)
    first = board.results[0]
    table = Table(
        title=f"{dataset or csv}: {', '.join(first.targets)}, {first.n_forecasts} "
        f"origins, {first.horizon} step(s) ahead"
    )
    for column in ("rank", "model", "mae", "rmse", "mape %", "mase", "seconds"):
        if column == "model":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for row in board.leaderboard.itertuples():
        table.add_row(
            str(row.rank),
            str(row.model),
            _num(row.mae),
            _num(row.rmse),
            _num(row.mape),
            _num(row.mase),
            f"{row.seconds:.2f}",
        )
    out.print(table)
    out.print(f"results in {destination}")


def _load(
    dataset: str | None,
    csv: Path | None,
    date_column: str | None,
    freq: str | None,
    fill: str | None,
    data_dir: Path | None,
) -> tuple[pd.DataFrame, DatasetInfo | None]:
    if (dataset is None) == (csv is None):
        raise SeqcastError("give exactly one of --dataset NAME or --csv PATH")
    if dataset is not None:
        info = dataset_info(dataset)
        frame = load_dataset(dataset, data_dir)
    else:
        assert csv is not None
        if date_column is None:
            raise SeqcastError("--csv needs --date-column (the column holding the timestamps)")
        if fill is not None and fill not in FILL_METHODS:
            raise SeqcastError(f"unknown --fill {fill!r}; choose one of {', '.join(FILL_METHODS)}")
        info = None
        frame = load_frame(csv, date_column, freq=freq, fill=fill)  # type: ignore[arg-type]
    for note in frame.attrs.get("notes", []):
        err.print(f"[dim]note: {escape(note)}[/dim]")
    return frame, info


def _targets(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise SeqcastError("--target names no column")
    return names


def _model_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise SeqcastError("--models names no model")
    if len(set(names)) != len(names):
        raise SeqcastError(f"--models names a model twice: {text}")
    for name in names:
        model_class(name)  # unknown names fail here, listing the valid ones
    return names


def _num(value: object) -> str:
    value = float(value)  # type: ignore[arg-type]
    if value != value:  # NaN
        return "n/a"
    if abs(value) < 1000:
        return f"{value:.4g}"
    return f"{value:,.1f}" if abs(value) < 1e7 else f"{value:.3e}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seqcast`` console script."""
    try:
        app(args=argv, prog_name="seqcast")
    except SeqcastError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
