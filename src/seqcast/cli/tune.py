"""``seqcast tune``: hyperparameter search for a neural model, chosen on validation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seqcast.cli.app import app, out, show
from seqcast.cli.options import (
    DeviceOpt,
    PrecisionOpt,
    SettingsOpt,
    data_options,
    engine_options,
    number,
    training_settings,
)
from seqcast.data.sources import DataSource
from seqcast.engines import Engine
from seqcast.results import check_new


@app.command()
@data_options()
@engine_options()
def tune(
    model: Annotated[str, typer.Option("--model", help="A neural model (gru, mlp, segrnn, ...).")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="New folder for best.json, trials.csv and tune.json.")
    ],
    source: DataSource,
    where: Engine,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Configurations tried.")] = 16,
    max_epochs: Annotated[
        int,
        typer.Option(
            "--max-epochs", min=1, help="Epochs a trial may train at most (early stopping too)."
        ),
    ] = 20,
    trial_windows: Annotated[
        int,
        typer.Option(
            "--trial-windows",
            min=0,
            help="Windows in a trial's epoch at most (0: the model's own epochs), so that "
            "lagging trials are stopped sooner; the chosen configuration keeps its own.",
        ),
    ] = 10_000,
    grace: Annotated[
        int,
        typer.Option("--grace", min=1, help="Epochs every trial gets before it may be stopped."),
    ] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the TPE sampler.")] = 0,
    target: Annotated[
        str | None, typer.Option("--target", help="The value column (default: the dataset's).")
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option("--horizon", min=1, help="Steps forecast (default: the dataset's)."),
    ] = None,
    season: Annotated[
        int | None,
        typer.Option("--season", min=1, help="Season m (default: the dataset's, else 1)."),
    ] = None,
    windows: Annotated[
        int | None,
        typer.Option(
            "--windows",
            min=1,
            help="Windows of --horizon steps at the end of every series left for the test "
            "(never read; default: the dataset's, else 1).",
        ),
    ] = None,
    settings: SettingsOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
) -> None:
    """Search a neural model's hyperparameters on a panel, choosing on validation only.

    Each trial samples a configuration from the model's search space (input length,
    learning rate, batch size, then its own shape: docs/scale.md lists them) with Optuna's
    TPE sampler, trains on every series cut before its validation steps (the --horizon
    steps before the test steps, which are never read) and is scored by OWA there;
    trials that lag at the same epoch are stopped early (ASHA with --engine ray, where
    trials run side by side, one CPU each; Optuna's successive halving locally, one trial
    after another, whatever --workers says). Needs Optuna (pip install "seqcast[tune]") or
    Ray ("seqcast[ray]").

    Writes OUT/best.json (the best configuration as --set settings), OUT/trials.csv and
    OUT/tune.json. --device cuda trains the trials on a GPU (default auto), where the
    search is wider (docs/gpu.md); best.json leaves the device out. Run the winner on the
    test steps with
    seqcast benchmark --dataset m4-hourly --config OUT/best.json.

    Example: seqcast tune --model gru --dataset m4-hourly --trials 16 --engine ray
    --out results/tune-gru
    """
    from seqcast.tuning import tune as run_tune

    check_new(out_dir)
    result = run_tune(
        model,
        source,
        trials=trials,
        workers=where,
        max_epochs=max_epochs,
        trial_windows=trial_windows,
        grace=grace,
        seed=seed,
        settings=[*(settings or []), *training_settings(device, precision)],
        target=target,
        horizon=horizon,
        season=season,
        windows=windows,
        progress=True,
    )
    result.save(out_dir)
    config = result.config
    table = Table(title=f"{model}: {len(result.trials)} trials, best on validation")
    for column in ("state", "valid OWA", "sMAPE %", "MASE", "epochs"):
        table.add_column(column, justify="right")
    for row in result.trials.sort_values("owa", na_position="last").head(10).itertuples():
        table.add_row(
            str(row.state), number(row.owa), number(row.smape), number(row.mase), str(row.epochs)
        )
    show(table)
    out.print(f"best: {' '.join(config['settings'])}")
    out.print(f"validation OWA {config['valid']['owa']:.4f}; results in {out_dir}")
