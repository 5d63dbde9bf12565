"""``seqcast analyze`` and ``seqcast arima-search``: reading a series before modelling it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seqcast.cli.app import app, out, show
from seqcast.cli.options import (
    EndOpt,
    RefitOpt,
    StartOpt,
    TrainStartOpt,
    data_options,
    engine_options,
    integers,
    number,
)
from seqcast.data.io import require_numeric
from seqcast.data.panel import refuse_panel
from seqcast.data.sources import DataSource
from seqcast.data.splits import date_slice
from seqcast.engines import Engine
from seqcast.results import check_new


@app.command()
@data_options()
def analyze(
    target: Annotated[str, typer.Option("--target", help="The column to analyse.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    source: DataSource,
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
    OUT/acf_pacf.png. Reads at least 10 values and at most the last 10,000 of the range
    (say which with --start and --end).

    Example: seqcast analyze --dataset ridership --target rail --start 2001 --end 2019
    --lags 35 --out results/rail-acf
    """
    from seqcast.analysis import analyze as run_analysis

    check_new(out_dir)
    frame = source.load()
    refuse_panel(frame, "analyze")  # the analysis takes the numbers of one series
    require_numeric(frame, [target])
    part = date_slice(frame, start, end, what="analysis range")
    result = run_analysis(part[target].to_numpy(dtype=float), lags=lags, season=season)
    result.save(
        out_dir,
        f"{target}, {result.n:,} values",
        target=target,
        first=str(part.index[result.left_out]),
        last=str(part.index[-1]),
    )
    s = result.suggestion
    if result.left_out:
        out.print(
            f"analysed the last {result.n:,} of {result.n + result.left_out:,} values "
            f"(from {part.index[result.left_out]}); --start picks another span"
        )
    out.print(f"ACF peaks at lags {result.acf_peaks or 'none'}; season s = {result.season}")
    if "pvalue" in result.adf:
        tests = (
            f"ADF p = {result.adf['pvalue']:.3g} (null: unit root); KPSS p = "
            f"{result.kpss['pvalue']:.3g} (null: stationary)"
        )
    else:
        tests = "the seasonally differenced series is constant, ADF and KPSS not run"
    out.print(f"{tests} -> d = {result.d}, D = {result.D}")
    out.print(f"{s['pattern']}; {s['seasonal_pattern']}")
    out.print(f"suggested ARIMA{tuple(s['order'])}{tuple(s['seasonal_order'])}")
    out.print(f"results in {out_dir}")


@app.command("arima-search")
@data_options()
@engine_options()
def arima_search(
    target: Annotated[str, typer.Option("--target", help="The column to model.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the results.")],
    source: DataSource,
    where: Engine,
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
) -> None:
    """Grid search of ARIMA(p,d,q)(P,D,Q,s) orders by AIC, BIC or backtest MAE.

    Writes OUT/search.csv and OUT/search.json: every candidate tried, best first, with the
    error of any that could not be fitted.

    Example: seqcast arima-search --dataset ridership --target rail --season 7
    --train-start 2019-01-01 --train-end 2019-05-31 --out results/rail-orders
    """
    from seqcast.evaluation.order_search import order_grid, search_orders

    check_new(out_dir)
    frame = source.load()
    require_numeric(frame, [target])
    orders, seasonal_orders = order_grid(
        integers("--p", p),
        integers("--d", d),
        integers("--q", q),
        integers("--P", big_p),
        integers("--D", big_d),
        integers("--Q", big_q),
        season=season,
    )
    search = search_orders(
        frame,
        target,
        orders,
        seasonal_orders,
        criterion=criterion,
        fit_range=(train_start, train_end),
        backtest_range=(start, end) if start is not None and end is not None else None,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
        workers=where,
    )
    search.save(out_dir)
    table = search.table
    shown = Table(title=f"ARIMA orders by {criterion} ({len(table)} candidates)")
    for column in ("order", "seasonal_order", criterion, "error"):
        shown.add_column(column)
    for row in table.head(10).itertuples():
        shown.add_row(
            str(row.order),
            str(row.seasonal_order),
            number(getattr(row, criterion)),
            str(row.error),
        )
    show(shown)
    out.print(f"results in {out_dir}")
