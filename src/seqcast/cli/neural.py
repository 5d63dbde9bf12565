"""``seqcast fit``, ``forecast``, ``kstep``, ``explain`` and ``export``: training a neural
model, using a saved one, looking inside, and writing it for use without seqcast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seqcast.cli.app import app, err, out, show
from seqcast.cli.options import (
    CalibrationOpt,
    ConfigOpt,
    DeviceOpt,
    IntervalsOpt,
    LevelsOpt,
    PrecisionOpt,
    SettingsOpt,
    TrainStartOpt,
    column_names,
    configured,
    data_options,
    integers,
    interval_option,
    number,
    training_settings,
)
from seqcast.data.io import load_frame
from seqcast.data.panel import is_panel, series_ids
from seqcast.data.sources import DataSource
from seqcast.errors import Interrupted, SeqcastError
from seqcast.models.registry import parse_overrides
from seqcast.results import check_new
from seqcast.runs import ForecastRun

PRINTED_SERIES = 10  # a panel's forecast prints this many series


@app.command()
@data_options()
def fit(
    target: Annotated[
        str, typer.Option("--target", help="Column(s) to forecast, comma-separated.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for model.pt and more.")],
    source: DataSource,
    model: Annotated[
        str | None, typer.Option("--model", help="A neural model name (rnn, gru, ...).")
    ] = None,
    config: ConfigOpt = None,
    settings: SettingsOpt = None,
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
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
) -> None:
    """Train a neural model and save it: OUT/model.pt (checkpoint), OUT/training.json and
    OUT/learning_curve.png (training loss and validation MAE per epoch).

    --device cuda trains on a GPU (default auto: one when torch sees it), with the data
    resident there; --precision bf16 or tf32 trades the third significant digit for speed.
    The saved model forecasts on any machine, a CPU-only one included (docs/gpu.md).

    Early stopping watches --valid-start..--valid-end when given (windows made from that
    part alone), else the last train.valid_fraction of the training windows. Ctrl-C saves
    OUT.interrupted.pt beside OUT (the last completed epoch), which --resume continues
    exactly as the run would have gone on; --resume of a finished model.pt with a larger
    train.epochs trains on.

    --set train.loss=quantile (or normal, student_t, negbin) trains a model that forecasts
    its own distribution: seqcast forecast --levels 80,95 then draws its intervals
    (docs/intervals.md). --set train.valid_forecast=true --set train.valid_steps=N makes a
    recursive model (deepar, or any with strategy=recursive) early-stop on its own N-step
    forecasts of the held-out part instead of its one-step outputs (docs/neural.md).
    --set scaling=log trains on the targets' logs (every value above 0; forecasts and
    intervals come back through exp); add --set log_offset=0.1 to take the logs of each
    series plus a tenth of its mean (zeros allowed; damps the swings of series near 0);
    --set train.lr_schedule=cosine lowers the learning rate along half a cosine over
    train.epochs.

    Example: seqcast fit --dataset ridership --target rail --model gru --set input_len=56
    --train-start 2016-01 --train-end 2018-12 --valid-start 2019-01 --valid-end 2019-05
    --out results/gru
    """
    from seqcast.runs import fit_model

    check_new(out_dir)
    names, settings = configured(config, [model] if model else None, settings, "--model")
    if names is None:
        raise SeqcastError("give --model NAME or --config best.json")
    (model,) = names
    params = parse_overrides(model, [*settings, *training_settings(device, precision)])
    params.setdefault("train", {}).setdefault("progress", progress)
    given = valid_start is not None or valid_end is not None
    validation = (valid_start, valid_end) if given else None
    try:
        run = fit_model(
            model,
            source,
            column_names(target),
            params,
            train_range=(train_start, train_end),
            valid_range=validation,
            resume=resume,
            interrupt_checkpoint=out_dir.with_name(out_dir.name + ".interrupted.pt"),
        )
    except Interrupted as stop:
        err.print(stop.message)
        raise
    run.save(out_dir)
    record = run.model.trained_.history
    out.print(
        f"{model}: {record.epochs} epochs, best epoch {record.best_epoch}, validation "
        f"MAE {number(min(record.valid_mae, default=float('nan')))}; {record.stopped}"
    )
    out.print(f"trained on {record.ran_on()}")
    out.print(f"results in {out_dir}")


@app.command()
@data_options(required=False)
def forecast(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A model.pt from seqcast fit.")],
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Steps to forecast.")],
    source: DataSource | None,
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
            help="CSV of the known-ahead columns for the forecast steps, dated in its "
            "--future-date-column.",
        ),
    ] = None,
    future_date_column: Annotated[
        str, typer.Option("--future-date-column", help="The column of --future holding dates.")
    ] = "date",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="New folder for forecast.csv and forecast.png."),
    ] = None,
    levels: LevelsOpt = None,
    intervals: IntervalsOpt = "auto",
    calibration: CalibrationOpt = 100,
    device: DeviceOpt = "auto",
) -> None:
    """Forecast --horizon steps after the latest data (or after --origin) with a saved model.

    The model forecasts on --device (default auto: a GPU when torch sees one), wherever it
    was trained: a model trained on a GPU forecasts on a CPU-only machine.

    The data is reloaded from where the model was trained (its dataset or CSV) unless
    --dataset or --csv names another source. Models with known-ahead columns need --future,
    except from an --origin inside the data, whose own later rows supply them.

    --levels 80,95 adds prediction intervals (forecast.png becomes a fan chart): the
    model's own when it was trained with a distribution loss (--set train.loss=quantile,
    normal, student_t or negbin at fit), else conformal ones from its errors on the
    --calibration origins just before the forecast. Those should lie after the training
    data (an --origin later than --train-end): on data it learned from, a model's errors
    are too small and so are the intervals (docs/intervals.md).

    A model trained on a panel (--id-column at fit) forecasts every series after its last
    row: forecast.csv has one row per series and step, the table shows the first 10
    series and forecast.png the first 4. Its --levels are its own (a distribution loss):
    conformal calibration takes one series.
    """
    from seqcast.runs import forecast as run_forecast
    from seqcast.runs import open_checkpoint

    if out_dir is not None:
        check_new(out_dir)
    model, frame = open_checkpoint(checkpoint, source, device or "auto")
    known = None
    if future is not None:
        known = load_frame(future, future_date_column, freq=model.freq_.freqstr)
    asked = interval_option(levels, intervals, calibration, "series")
    run = run_forecast(model, frame, horizon, origin=origin, future=known, intervals=asked)
    show(_forecast_table(run, horizon))
    if is_panel(frame) and len(series_ids(frame)) > PRINTED_SERIES:
        kept = f"all in {out_dir / 'forecast.csv'}" if out_dir else "--out keeps them all"
        out.print(f"the first {PRINTED_SERIES} of {len(series_ids(frame)):,} series ({kept})")
    if out_dir is not None:
        run.save(out_dir)
        out.print(f"results in {out_dir}")


def _forecast_table(run: ForecastRun, horizon: int) -> Table:
    """The forecast (with the truth beside each target where there is one); a panel's rows
    name their series, and only its first ``PRINTED_SERIES`` are shown."""
    truth, forecast = run.truth, run.forecast
    panel = is_panel(forecast)
    if panel:
        last = "each series' last date"
        forecast = forecast.loc[series_ids(forecast)[:PRINTED_SERIES]]
    else:
        last = str(run.history.index[-1])
    table = Table(title=f"{run.model.name}: {horizon} steps after {last}")
    if panel:
        table.add_column("series")
    table.add_column("time")
    shown = not truth.empty
    for column in forecast.columns:
        table.add_column(str(column), justify="right")
        if shown and column in truth.columns:
            table.add_column(f"{column} (truth)", justify="right")
    for stamp, row in forecast.iterrows():
        cells = [str(part) for part in stamp] if isinstance(stamp, tuple) else [str(stamp)]
        for name in forecast.columns:
            cells.append(number(row[name]))
            if shown and name in truth.columns:
                cells.append(number(truth[name].get(stamp, float("nan"))))
        table.add_row(*cells)
    return table


@app.command()
@data_options(required=False)
def kstep(
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", help="A model.pt of a one-step (recursive) model.")
    ],
    source: DataSource | None,
    ks: Annotated[
        str, typer.Option("--ks", help="Steps ahead to score, comma-separated.")
    ] = "1,4,16,64",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="New folder for kstep.csv, predictions.csv, kstep.png."),
    ] = None,
    device: DeviceOpt = "auto",
) -> None:
    """How errors pile up when a one-step model is fed its own predictions.

    From every origin in the data a recursive forecast of max(k) steps is made; its k-th
    step is the k-step-ahead prediction. Prints MSE and MAE per k over the whole series
    (the model's own data unless --dataset or --csv names another).

    Example: seqcast fit --dataset sine --target x --model mlp --set input_len=4 --out m;
    seqcast kstep --checkpoint m/model.pt --ks 1,4,16,64
    """
    from seqcast.evaluation.kstep import kstep_errors
    from seqcast.runs import open_checkpoint

    steps = integers("--ks", ks)
    if out_dir is not None:
        check_new(out_dir)
    model, frame = open_checkpoint(checkpoint, source, device or "auto")
    analysis = kstep_errors(model, frame, steps)
    table = Table(title=f"{model.name}: k-step-ahead errors over {len(frame)} steps")
    for column in ("k", "MSE", "MAE", "predictions"):
        table.add_column(column, justify="right")
    for k, row in analysis.errors.iterrows():
        table.add_row(str(k), number(row["mse"]), number(row["mae"]), str(int(row["count"])))
    show(table)
    if out_dir is not None:
        analysis.save(out_dir)
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
    settings: SettingsOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
) -> None:
    """Print each layer's output shape for one batch, and the parameter counts, and where
    the pass ran: the device (--device, default auto), the precision and the peak memory.

    The shapes come from a real forward pass on a random batch [B, L, C] (L is the model's
    input_len), recorded by forward hooks in the order outputs appear; a layer used several
    times (RMF's head) shows its first call and the number of calls. A layer's parameters
    include its children's.

    Example: seqcast explain segrnn --set input_len=60 --set seg_len=12 --set
    hidden_size=512 --batch 16 --channels 7 --horizon 24
    """
    from seqcast.explain import explain

    given = [*(settings or []), *training_settings(device, precision)]
    result = explain(model, batch, channels, horizon, parse_overrides(model, given))
    table = Table(title=f"{model}: input {result.input_shape}")
    for column in ("layer", "type", "output shape", "parameters"):
        table.add_column(column, justify="right" if column == "parameters" else "left")
    for stage in result.stages:
        shapes = ", ".join(str(shape) for shape in stage.shapes)
        calls = f" (x{stage.calls} calls)" if stage.calls > 1 else ""
        table.add_row(stage.name, stage.kind, shapes + calls, f"{stage.params:,}")
    show(table)
    out.print(
        f"input {result.input_shape} -> output {result.output_shape}, read as the forecast "
        f"[B, H, C] {result.forecast_shape}"
    )
    out.print(f"parameters: {result.params:,}")
    out.print(f"ran on {result.device}, {result.precision}, peak {result.peak_memory_mb:,.0f} MB")


@app.command("export")
def export_command(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A model.pt from seqcast fit.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="New folder for the exported model and export.json.")
    ],
    format: Annotated[
        str, typer.Option("--format", help="onnx (onnxruntime runs it) or torchscript.")
    ] = "onnx",
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon",
            min=1,
            help="Steps the exported model forecasts (default: the model's; a recursive "
            "model's loop is unrolled this many times).",
        ),
    ] = None,
) -> None:
    """Write a fitted neural model as a file that forecasts without seqcast.

    The exported model maps a window [B, L, C] of the data, in its own units, to the
    forecast [B, H, K], in the same units: the scaling, a recursive model's loop and a
    distribution head's point forecast are inside it. OUT/model.onnx runs with onnxruntime
    (pip install "seqcast[export]"), OUT/model.pt (torchscript) with torch.jit.load;
    OUT/export.json names the input's columns, the targets and the horizon.

    Example: seqcast export --checkpoint results/gru/model.pt --format onnx --out
    results/gru-onnx; then in Python: onnxruntime.InferenceSession("results/gru-onnx/
    model.onnx").run(None, {"window": last_56_rows[None, :, None].astype("float32")})
    """
    from seqcast.export import FORMATS, export_model
    from seqcast.models.neural import NeuralForecaster
    from seqcast.models.registry import load_model

    if format not in FORMATS:
        raise SeqcastError(f"--format must be {' or '.join(FORMATS)}, got {format!r}")
    check_new(out_dir)
    model = load_model(checkpoint, device="cpu")
    if not isinstance(model, NeuralForecaster):
        raise SeqcastError(f"{checkpoint} holds a {model.name} model; export takes neural ones")
    written = export_model(model, out_dir, format, horizon)  # type: ignore[arg-type]
    out.print(f"{model.name} as {format}: {written} (its inputs: {out_dir / 'export.json'})")
