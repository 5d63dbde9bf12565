"""The ``seqcast`` command: a thin layer over the Python API.

Each command parses its options, calls the same public functions a Python user would, and
writes its results into a new ``--out`` folder. Bad input ends with one line on stderr
starting ``error:`` and exit status 1; nothing is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seqcast import __version__
from seqcast.data.datasets import (
    DATA_DIR_VARIABLE,
    DatasetInfo,
    cache_dir,
    dataset_info,
    list_datasets,
    load_dataset,
)
from seqcast.data.io import FILL_METHODS, load_frame, require_numeric
from seqcast.data.splits import date_slice
from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import backtest as run_backtest
from seqcast.evaluation.benchmark import default_models, run_benchmark, write_benchmark_report
from seqcast.models.registry import create_model, model_class, parse_overrides
from seqcast.results import check_new, fresh_path, json_ready, results_dir, write_json

app = typer.Typer(
    help="Forecast time series with neural networks, measured against honest baselines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
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
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Processes to share the origins among (useful with --refit)."
        ),
    ] = 1,
) -> None:
    """Rolling-origin backtest of one model: forecast --horizon steps from every origin.

    Each origin is the day (step) before a date in --start..--end. Writes OUT/metrics.json
    (overall, per-horizon and per-target errors), OUT/forecasts.csv and OUT/per_horizon.csv.

    Examples: seqcast backtest --dataset ridership --target rail --model seasonal_naive
    --set season=7 --start 2019-03-01 --end 2019-05-31 --out results/naive7

    The book's daily-refit SARIMA: seqcast backtest --dataset ridership --target rail
    --model arima --set order=1,0,0 --set seasonal_order=0,1,1,7 --start 2019-03-01
    --end 2019-05-31 --train-start 2019-01-01 --refit --out results/sarima
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
        workers=workers,
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
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Run a preset experiment instead: sine-mlp, sine-lstm, hello or ridership "
            "(see docs/presets.md).",
        ),
    ] = None,
) -> None:
    """Every chosen model through the same rolling-origin backtest, ranked by MAE.

    With no options: every model on the built-in co2 dataset, 52 weeks ahead from each week
    of 1997-2000. Writes leaderboard.csv/.json, per_horizon.csv (MAE per step and model),
    forecasts.csv, pictures (series.png, acf_pacf.png, forecasts.png, per_horizon.png) and
    report.html (all of it in one self-contained page) into a new folder.

    --preset NAME runs a seed experiment (sine-mlp, sine-lstm, hello) or the book's
    ridership ladder (ridership, about 8 minutes) instead and writes preset.json, its
    pictures and report.html.
    """
    if preset is not None:
        _run_preset(preset, out_dir)
        return
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
    chosen_horizon = horizon or (defaults.horizon if defaults else 1)
    board = run_benchmark(
        default_models(chosen_season, chosen_horizon, names),
        frame,
        _targets(chosen_target),
        chosen_start,
        chosen_end,
        chosen_horizon,
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
        write_benchmark_report(board, frame, tmp, f"seqcast benchmark: {dataset or csv}")
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


@app.command()
def analyze(
    target: Annotated[str, typer.Option("--target", help="The column to analyse.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    lags: Annotated[
        int | None, typer.Option("--lags", min=1, help="Lags of the ACF/PACF (default ~10 log n).")
    ] = None,
    season: Annotated[
        int | None,
        typer.Option("--season", min=2, help="The season s, if known (default: detected)."),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First date analysed.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date analysed.")] = None,
) -> None:
    """ACF and PACF with 95 % bands, ADF and KPSS tests, the season, and suggested orders.

    Suggests d and D (differencing), s (from ACF peaks) and (p, q)(P, Q) from the cut-off or
    tail-off of the ACF and PACF of the differenced series. Writes OUT/analysis.json and
    OUT/acf_pacf.png.

    Example: seqcast analyze --dataset ridership --target rail --start 2001 --end 2019
    --lags 35 --out results/rail-acf
    """
    from seqcast.analysis import analyze as run_analysis

    check_new(out_dir)
    frame, _ = _load(dataset, csv, date_column, freq, fill, data_dir)
    require_numeric(frame, [target])
    part = date_slice(frame, start, end, what="analysis range")
    result = run_analysis(part[target].to_numpy(dtype=float), lags=lags, season=season)
    with results_dir(out_dir) as tmp:
        payload = {"target": target, "first": str(part.index[0]), "last": str(part.index[-1])}
        write_json(tmp / "analysis.json", json_ready({**payload, **result.to_dict()}))
        result.plot(tmp / "acf_pacf.png", title=f"{target}, {len(part):,} values")
    s = result.suggestion
    out.print(f"ACF peaks at lags {result.acf_peaks or 'none'}; season s = {result.season}")
    out.print(
        f"ADF p = {result.adf['pvalue']:.3g} (null: unit root); KPSS p = "
        f"{result.kpss['pvalue']:.3g} (null: stationary) -> d = {result.d}, D = {result.D}"
    )
    out.print(f"{s['pattern']}; {s['seasonal_pattern']}")
    out.print(f"suggested ARIMA{tuple(s['order'])}{tuple(s['seasonal_order'])}")
    out.print(f"results in {out_dir}")


@app.command("arima-search")
def arima_search(
    target: Annotated[str, typer.Option("--target", help="The column to model.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    p: Annotated[str, typer.Option("--p", help="AR orders to try, comma-separated.")] = "0,1,2",
    d: Annotated[str, typer.Option("--d", help="Differences to try.")] = "0,1",
    q: Annotated[str, typer.Option("--q", help="MA orders to try.")] = "0,1,2",
    big_p: Annotated[str, typer.Option("--P", help="Seasonal AR orders to try.")] = "0,1",
    big_d: Annotated[str, typer.Option("--D", help="Seasonal differences to try.")] = "0,1",
    big_q: Annotated[str, typer.Option("--Q", help="Seasonal MA orders to try.")] = "0,1",
    season: Annotated[
        int, typer.Option("--season", min=0, help="Season s (0 or 1: no seasonal terms).")
    ] = 0,
    criterion: Annotated[
        str, typer.Option("--criterion", help="aic or bic (one fit each) or mae (backtest).")
    ] = "aic",
    train_start: TrainStartOpt = None,
    train_end: Annotated[
        str | None, typer.Option("--train-end", help="Last date fitted (aic/bic).")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Steps ahead (mae).")] = 1,
    refit: RefitOpt = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes sharing the candidates.")
    ] = 1,
) -> None:
    """Grid search of ARIMA(p,d,q)(P,D,Q,s) orders by AIC, BIC or backtest MAE.

    Writes OUT/search.csv and OUT/search.json: every candidate tried, best first, with the
    error of any that could not be fitted.

    Example: seqcast arima-search --dataset ridership --target rail --season 7
    --train-start 2019-01-01 --train-end 2019-05-31 --out results/rail-orders
    """
    from seqcast.evaluation.order_search import search_orders

    check_new(out_dir)
    frame, _ = _load(dataset, csv, date_column, freq, fill, data_dir)
    require_numeric(frame, [target])
    seasonal = season >= 2
    grid = {
        name: _integers(name, text)
        for name, text in (
            ("--p", p),
            ("--d", d),
            ("--q", q),
            ("--P", big_p),
            ("--D", big_d),
            ("--Q", big_q),
        )
    }
    orders = [(a, b, c) for a in grid["--p"] for b in grid["--d"] for c in grid["--q"]]
    seasonal_orders = (
        [(a, b, c, season) for a in grid["--P"] for b in grid["--D"] for c in grid["--Q"]]
        if seasonal
        else [(0, 0, 0, 0)]
    )
    if criterion == "mae":
        if start is None or end is None:
            raise SeqcastError("--criterion mae needs --start and --end (the backtest range)")
        data, backtest_range = frame, (start, end)
    else:
        data, backtest_range = date_slice(frame, train_start, train_end, what="fit range"), None
    table = search_orders(
        data,
        target,
        orders,
        seasonal_orders,
        criterion=criterion,
        backtest_range=backtest_range,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
        workers=workers,
    )
    with results_dir(out_dir) as tmp:
        table.to_csv(tmp / "search.csv", index=False)
        write_json(
            tmp / "search.json",
            json_ready(
                {"target": target, "criterion": criterion, "candidates": table.to_dict("records")}
            ),
        )
    shown = Table(title=f"ARIMA orders by {criterion} ({len(table)} candidates)")
    for column in ("order", "seasonal_order", criterion, "error"):
        shown.add_column(column)
    for row in table.head(10).itertuples():
        shown.add_row(
            str(row.order), str(row.seasonal_order), _num(getattr(row, criterion)), str(row.error)
        )
    out.print(shown)
    out.print(f"results in {out_dir}")


@app.command()
def fit(
    target: Annotated[
        str, typer.Option("--target", help="Column(s) to forecast, comma-separated.")
    ],
    model: Annotated[str, typer.Option("--model", help="A neural model name (rnn, gru, ...).")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for model.pt and more.")],
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Parameter as key=value, e.g. --set train.patience=50."),
    ] = None,
    train_start: TrainStartOpt = None,
    train_end: Annotated[
        str | None, typer.Option("--train-end", help="Last date trained on.")
    ] = None,
    valid_start: Annotated[
        str | None, typer.Option("--valid-start", help="First date of the validation part.")
    ] = None,
    valid_end: Annotated[
        str | None, typer.Option("--valid-end", help="Last date of the validation part.")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue training from this checkpoint.")
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = True,
) -> None:
    """Train a neural model and save it: OUT/model.pt (checkpoint), OUT/training.json and
    OUT/learning_curve.png (training loss and validation MAE per epoch).

    Early stopping watches --valid-start..--valid-end when given (windows made from that
    part alone), else the last train.valid_fraction of the training windows. Ctrl-C saves
    OUT.interrupted.pt beside OUT, which --resume continues.

    Example: seqcast fit --dataset ridership --target rail --model gru --set input_len=56
    --train-start 2016-01 --train-end 2018-12 --valid-start 2019-01 --valid-end 2019-05
    --out results/gru
    """
    from seqcast.models.neural import NeuralForecaster

    check_new(out_dir)
    if not issubclass(model_class(model), NeuralForecaster):
        raise SeqcastError(f"{model} has no checkpoint to save; fit takes a neural model")
    frame, _ = _load(dataset, csv, date_column, freq, fill, data_dir)
    params = parse_overrides(model, settings or [])
    params.setdefault("train", {}).setdefault("progress", progress)
    forecaster = create_model(model, **params)
    assert isinstance(forecaster, NeuralForecaster)
    part = date_slice(frame, train_start, train_end, what="training range")
    valid = None
    if valid_start is not None or valid_end is not None:
        valid = date_slice(frame, valid_start, valid_end, what="validation range")
    interrupted = out_dir.with_name(out_dir.name + ".interrupted.pt")
    forecaster.fit(
        part, _targets(target), valid=valid, resume=resume, interrupt_checkpoint=interrupted
    )
    from seqcast.plots import plot_learning_curve

    with results_dir(out_dir) as tmp:
        forecaster.save(
            tmp / "model.pt", data_source=_source(dataset, csv, date_column, freq, fill, data_dir)
        )
        record = forecaster.training_
        plot_learning_curve(record.train_loss, record.valid_mae, tmp / "learning_curve.png")
        write_json(
            tmp / "training.json",
            json_ready(
                {
                    "model": model,
                    "params": forecaster.params(),
                    "targets": forecaster.targets_,
                    "first": str(part.index[0]),
                    "last": str(part.index[-1]),
                    "epochs": record.epochs,
                    "best_epoch": record.best_epoch,
                    "best_valid_mae": min(record.valid_mae, default=None),
                    "seconds_per_epoch": sum(record.seconds) / max(record.epochs, 1),
                    "parameters": sum(p.numel() for p in forecaster.module_.parameters()),
                    "history": record.to_dict(),
                }
            ),
        )
    out.print(
        f"{model}: {record.epochs} epochs, best epoch {record.best_epoch}, validation "
        f"MAE {_num(min(record.valid_mae, default=float('nan')))}; {record.stopped}"
    )
    out.print(f"results in {out_dir}")


@app.command()
def forecast(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A model.pt from seqcast fit.")],
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Steps to forecast.")],
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help="Forecast from this date instead of the latest data: the model sees the "
            "data up to it, and the truth after it is shown beside the forecast.",
        ),
    ] = None,
    future: Annotated[
        Path | None,
        typer.Option(
            "--future",
            help="CSV of the known-ahead columns for the forecast steps, dated in the "
            "--date-column (default 'date').",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="New folder for forecast.csv and forecast.png."),
    ] = None,
) -> None:
    """Forecast --horizon steps after the latest data (or after --origin) with a saved model.

    The data is reloaded from where the model was trained (its dataset or CSV) unless
    --dataset or --csv names another source. Models with known-ahead columns need --future,
    except from an --origin inside the data, whose own later rows supply them.
    """
    from seqcast.models.neural import NeuralForecaster

    if out_dir is not None:
        check_new(out_dir)
    from seqcast.checkpoint import load_checkpoint

    payload = load_checkpoint(checkpoint)
    model = NeuralForecaster.from_checkpoint(payload, checkpoint)
    source = payload.get("data_source")
    frame = _checkpoint_data(source, checkpoint, dataset, csv, date_column, freq, fill, data_dir)
    history = frame if origin is None else date_slice(frame, None, origin, what="--origin")
    known = None
    if future is not None:
        known = load_frame(future, date_column or "date", freq=model.freq_.freqstr)
    elif model.known_ahead and len(history) < len(frame):
        known = frame.iloc[len(history) :]
    result = model.predict(horizon, history=history, future=known)
    truth = frame[model.targets_].iloc[len(history) : len(history) + horizon]
    table = Table(title=f"{model.name}: {horizon} steps after {history.index[-1]}")
    table.add_column("time")
    for column in result.columns:
        table.add_column(str(column), justify="right")
        if not truth.empty:
            table.add_column(f"{column} (truth)", justify="right")
    for stamp, row in result.iterrows():
        cells = []
        for name in result.columns:
            cells.append(_num(row[name]))
            if not truth.empty:
                cells.append(_num(truth[name].get(stamp, float("nan"))))
        table.add_row(str(stamp), *cells)
    out.print(table)
    if out_dir is not None:
        from seqcast.plots import plot_forecasts

        with results_dir(out_dir) as tmp:
            written = result.join(truth.add_suffix(" (truth)")) if not truth.empty else result
            written.to_csv(tmp / "forecast.csv")
            target = model.targets_[0]
            shown = frame[target].iloc[max(0, len(history) - 4 * horizon) : len(history) + horizon]
            plot_forecasts(
                shown,
                {"forecast": result[target]},
                tmp / "forecast.png",
                f"{model.name}: {target}, {horizon} steps after {history.index[-1]}",
            )
        out.print(f"results in {out_dir}")


@app.command()
def kstep(
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", help="A model.pt of a one-step (recursive) model.")
    ],
    ks: Annotated[
        str, typer.Option("--ks", help="Steps ahead to score, comma-separated.")
    ] = "1,4,16,64",
    dataset: DatasetOpt = None,
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="New folder for kstep.csv, predictions.csv, kstep.png."),
    ] = None,
) -> None:
    """How errors pile up when a one-step model is fed its own predictions.

    From every origin in the data a recursive forecast of max(k) steps is made; its k-th
    step is the k-step-ahead prediction. Prints MSE and MAE per k over the whole series
    (the model's own data unless --dataset or --csv names another).

    Example: seqcast fit --dataset sine --target x --model mlp --set input_len=4 --out m;
    seqcast kstep --checkpoint m/model.pt --ks 1,4,16,64
    """
    from seqcast.evaluation.kstep import kstep_errors
    from seqcast.models.neural import NeuralForecaster

    steps = _integers("--ks", ks)
    if out_dir is not None:
        check_new(out_dir)
    from seqcast.checkpoint import load_checkpoint

    payload = load_checkpoint(checkpoint)
    model = NeuralForecaster.from_checkpoint(payload, checkpoint)
    source = payload.get("data_source")
    frame = _checkpoint_data(source, checkpoint, dataset, csv, date_column, freq, fill, data_dir)
    analysis = kstep_errors(model, frame, steps)
    table = Table(title=f"{model.name}: k-step-ahead errors over {len(frame)} steps")
    for column in ("k", "MSE", "MAE", "predictions"):
        table.add_column(column, justify="right")
    for k, row in analysis.errors.iterrows():
        table.add_row(str(k), _num(row["mse"]), _num(row["mae"]), str(int(row["count"])))
    out.print(table)
    if out_dir is not None:
        from seqcast.plots import plot_kstep

        with results_dir(out_dir) as tmp:
            analysis.errors.to_csv(tmp / "kstep.csv")
            pd.concat({f"k={k}": p for k, p in analysis.predictions.items()}, axis=1).to_csv(
                tmp / "predictions.csv"
            )
            plot_kstep(analysis.errors, tmp / "kstep.png")
        out.print(f"results in {out_dir}")


def _checkpoint_data(
    source: dict[str, Any] | None,
    checkpoint: Path,
    dataset: str | None,
    csv: Path | None,
    date_column: str | None,
    freq: str | None,
    fill: str | None,
    data_dir: Path | None,
) -> pd.DataFrame:
    """The data named on the command line, else the data the checkpoint was trained on."""
    if dataset is None and csv is None:
        if not source:
            raise SeqcastError(
                f"{checkpoint} does not say where its data came from; give --dataset or --csv"
            )
        dataset, data_dir = source.get("dataset"), source.get("data_dir") or data_dir
        csv = Path(source["csv"]) if source.get("csv") else None
        date_column, freq, fill = source.get("date_column"), source.get("freq"), source.get("fill")
    frame, _ = _load(dataset, csv, date_column, freq, fill, data_dir)
    return frame


@app.command()
def ltsf(
    model: Annotated[
        str, typer.Option("--model", help="segrnn, dlinear, nlinear or any neural model.")
    ],
    lookback: Annotated[int, typer.Option("--lookback", min=1, help="L, the input window.")],
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="H, the steps forecast.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for metrics.json.")],
    dataset: DatasetOpt = "etth1",
    csv: CsvOpt = None,
    date_column: DateColumnOpt = None,
    freq: FreqOpt = None,
    fill: FillOpt = None,
    data_dir: DataDirOpt = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Parameter as key=value over the preset, e.g. --set dropout=0.2."
        ),
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Settings to start from: auto (segrnn: the paper's, or its L=96 ones when "
            "L=96; dlinear/nlinear: DLinear's), segrnn, segrnn-96, dlinear, nlinear or none.",
        ),
    ] = "auto",
    seeds: Annotated[
        str, typer.Option("--seeds", help="Seeds, comma-separated: one training run each.")
    ] = "1",
    rows: Annotated[
        str,
        typer.Option(
            "--rows",
            help="Rows of the train, validation and test parts (ETT hourly: 8640,2880,2880; "
            "ETT 15-minute data: 34560,11520,11520).",
        ),
    ] = "8640,2880,2880",
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar per seed.")
    ] = False,
) -> None:
    """Long-term forecasting protocol (ETT): train, validate and test MODEL on every
    column, writing OUT/metrics.json.

    Train rows [0, 8640), validation [8640-L, 11520), test [11520-L, 14400); one standard
    scaler fitted on the training rows of all columns; every window with stride 1; test
    MSE and MAE on the standardised scale over all windows, steps and columns. metrics.json
    holds the means over the seeds (mse, mae, epochs, seconds_per_epoch of the training
    batches, params, peak_rss_mb), each seed's record, the settings, and the errors of
    repeating the last value.

    Example: seqcast ltsf --dataset etth1 --model segrnn --lookback 720 --horizon 96
    --seeds 1,2,3 --out results/segrnn-720-96
    """
    from seqcast.evaluation.ltsf import run_ltsf
    from seqcast.experiments.ltsf_settings import ltsf_params

    check_new(out_dir)
    sizes = _integers("--rows", rows)
    if len(sizes) != 3:
        raise SeqcastError(f"--rows takes three row counts (train,valid,test), got {rows!r}")
    if csv is not None:
        dataset = None
    frame, _ = _load(dataset, csv, date_column, freq, fill, data_dir)
    overrides = parse_overrides(model, settings or [])
    params = ltsf_params(model, lookback, horizon, preset, overrides)
    params["train"].setdefault("progress", progress)
    result = run_ltsf(
        frame,
        model,
        lookback,
        horizon,
        params,
        seeds=_integers("--seeds", seeds),
        rows=(sizes[0], sizes[1], sizes[2]),
    )
    result = {
        "dataset": dataset or str(csv),
        "model": model,
        "lookback": lookback,
        "horizon": horizon,
        "settings": params,
        **result,
    }
    with results_dir(out_dir) as tmp:
        write_json(tmp / "metrics.json", json_ready(result))
    last = result["last_value"]
    out.print(
        f"{model} L={lookback} H={horizon}: test MSE {result['mse']:.4f}, MAE "
        f"{result['mae']:.4f} (last value: {last['mse']:.4f} / {last['mae']:.4f}); "
        f"{result['epochs']:.1f} epochs, {result['seconds_per_epoch']:.2f} s/epoch, "
        f"{result['params']:,} parameters"
    )
    out.print(f"results in {out_dir}")


@app.command("explain")
def explain_command(
    model: Annotated[str, typer.Argument(help="A neural model name (segrnn, gru, ...).")],
    batch: Annotated[int, typer.Option("--batch", min=1, help="B, windows in the batch.")] = 16,
    channels: Annotated[
        int, typer.Option("--channels", min=1, help="C, input channels (all forecast).")
    ] = 1,
    horizon: Annotated[
        int | None, typer.Option("--horizon", min=1, help="H, steps forecast at once.")
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Parameter as key=value, e.g. --set input_len=60."),
    ] = None,
) -> None:
    """Print each layer's output shape for one batch, and the parameter counts.

    The shapes come from a real forward pass on a random batch [B, L, C] (L is the model's
    input_len), recorded by forward hooks in the order outputs appear; a layer used several
    times (RMF's head) shows its first call and the number of calls. A layer's parameters
    include its children's.

    Example: seqcast explain segrnn --set input_len=60 --set seg_len=12 --set
    hidden_size=512 --batch 16 --channels 7 --horizon 24
    """
    from seqcast.explain import explain

    result = explain(model, batch, channels, horizon, parse_overrides(model, settings or []))
    table = Table(title=f"{model}: input {result.input_shape}")
    for column in ("layer", "type", "output shape", "parameters"):
        table.add_column(column, justify="right" if column == "parameters" else "left")
    for stage in result.stages:
        shapes = ", ".join(str(shape) for shape in stage.shapes)
        calls = f" (x{stage.calls} calls)" if stage.calls > 1 else ""
        table.add_row(stage.name, stage.kind, shapes + calls, f"{stage.params:,}")
    out.print(table)
    out.print(
        f"input {result.input_shape} -> output {result.output_shape}, read as the forecast "
        f"[B, H, C] {result.forecast_shape}"
    )
    out.print(f"parameters: {result.params:,}")


def _run_preset(name: str, out_dir: Path | None) -> None:
    """One seed experiment into a new folder: preset.json, its pictures, report.html."""
    from seqcast.experiments.presets import find_preset
    from seqcast.report import write_report

    run = find_preset(name)  # before any folder is made
    destination = out_dir or fresh_path(Path("results"), f"preset-{name}")
    check_new(destination)
    with results_dir(destination) as tmp:
        result = run(tmp)
        facts = {k: v for k, v in result.figures.items() if k != "train_loss"}  # too long to show
        write_json(
            tmp / "preset.json",
            json_ready(
                {
                    "preset": name,
                    "description": result.description,
                    "figures": result.figures,
                    "tables": {
                        k: v.reset_index().to_dict("records") for k, v in result.tables.items()
                    },
                }
            ),
        )
        write_report(
            tmp / "report.html",
            f"seqcast preset {name}: {result.description}",
            facts,
            {
                **{caption: tmp / file for caption, file in result.images.items()},
                **result.tables,
            },
        )
    out.print(f"[bold]{name}[/bold]: {escape(result.description)}")
    for key, value in facts.items():
        out.print(f"  {key}: {escape(str(value))}")
    for table_name, table in result.tables.items():
        out.print(f"  {table_name}:")
        out.print(escape(table.to_string()))
    out.print(f"results in {destination}")


def _source(
    dataset: str | None,
    csv: Path | None,
    date_column: str | None,
    freq: str | None,
    fill: str | None,
    data_dir: Path | None,
) -> dict[str, Any]:
    """Where the data came from, for a checkpoint (so forecast can reload the latest)."""
    if dataset is not None:
        return {"dataset": dataset, "data_dir": str(data_dir) if data_dir else None}
    return {
        "csv": str(Path(str(csv)).resolve()),
        "date_column": date_column,
        "freq": freq,
        "fill": fill,
    }


def _integers(option: str, text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SeqcastError(f"{option} takes comma-separated integers, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise SeqcastError(f"{option} takes comma-separated integers >= 0, got {text!r}")
    return values


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
