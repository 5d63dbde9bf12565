"""``seqcast ltsf``: the long-term forecasting protocol (ETT)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqcast.cli.app import app, out
from seqcast.cli.options import (
    DeviceOpt,
    PrecisionOpt,
    SettingsOpt,
    data_options,
    engine_options,
    integers,
    training_settings,
)
from seqcast.data.sources import DataSource
from seqcast.engines import Engine
from seqcast.errors import SeqcastError
from seqcast.models.registry import parse_overrides
from seqcast.results import check_new


@app.command()
@data_options(default="etth1")
@engine_options()
def ltsf(
    model: Annotated[
        str, typer.Option("--model", help="segrnn, dlinear, nlinear or any neural model.")
    ],
    lookback: Annotated[int, typer.Option("--lookback", min=1, help="L, the input window.")],
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="H, the steps forecast.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for metrics.json.")],
    source: DataSource,
    where: Engine,
    settings: SettingsOpt = None,
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
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
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

    The seeds are independent runs: --workers 3 trains them in three processes, --engine
    ray on a Ray cluster (the same figures either way).

    --device cuda trains on a GPU (default auto: one when torch sees it) with the data
    resident there, --precision bf16 or tf32 in faster arithmetic; metrics.json records
    the device, the precision and the peak device memory (docs/gpu.md).
    """
    from seqcast.evaluation.ltsf import run_ltsf
    from seqcast.experiments.ltsf_settings import ltsf_params

    check_new(out_dir)
    sizes = integers("--rows", rows)
    if len(sizes) != 3:
        raise SeqcastError(f"--rows takes three row counts (train,valid,test), got {rows!r}")
    frame = source.load()
    given = [*(settings or []), *training_settings(device, precision)]
    params = ltsf_params(model, lookback, horizon, preset, parse_overrides(model, given))
    params["train"].setdefault("progress", progress)
    result = run_ltsf(
        frame,
        model,
        lookback,
        horizon,
        params,
        seeds=integers("--seeds", seeds),
        rows=(sizes[0], sizes[1], sizes[2]),
        name=source.dataset or str(source.csv),
        workers=where,
    )
    result.save(out_dir)
    last = result["last_value"]
    out.print(
        f"{model} L={lookback} H={horizon}: test MSE {result['mse']:.4f}, MAE "
        f"{result['mae']:.4f} (last value: {last['mse']:.4f} / {last['mae']:.4f}); "
        f"{result['epochs']:.1f} epochs, {result['seconds_per_epoch']:.2f} s/epoch, "
        f"{result['params']:,} parameters"
    )
    out.print(
        f"trained on {result['device']}, {result['precision']}, peak "
        f"{result['peak_memory_mb']:,.0f} MB"
    )
    out.print(f"results in {out_dir}")
