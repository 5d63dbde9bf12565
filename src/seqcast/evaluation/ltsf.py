"""The long-term forecasting protocol as the literature runs it on ETT data.

Symbols: L lookback, H horizon, C channels (all columns; 7 for ETT).

- Parts by rows: train [0, 8640), validation [8640 - L, 11520), test [11520 - L, 14400) for
  hourly ETT (``part_borders`` for other sizes); rows after the test part are never used.
- One standard scaler fitted on the training rows of every column; the model sees and
  forecasts all C columns on that scale.
- Every window with stride 1 in each part (rows - L - H + 1 of them), none dropped.
- MSE and MAE on the standardised scale over all test windows, all H steps, all C columns;
  early stopping and model choice on the validation part only.
"""

from __future__ import annotations

import functools
import resource
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.io import require_numeric
from seqcast.data.splits import ETT_TEST_HOURS, ETT_TRAIN_HOURS, ETT_VALID_HOURS, part_borders
from seqcast.data.transforms import StandardScaler
from seqcast.engines import Engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model, model_class
from seqcast.results import json_ready, results_dir, write_json

ETT_ROWS = (ETT_TRAIN_HOURS, ETT_VALID_HOURS, ETT_TEST_HOURS)


@dataclass
class LtsfResult:
    """The run's record, as metrics.json holds it: ``dataset``, ``model``, ``lookback``,
    ``horizon``, ``settings``; the means over the seeds of test ``mse``, ``mae``,
    ``epochs``, ``seconds_per_epoch`` (training batches only), ``epoch_seconds`` (whole
    epochs, validation included), ``params``, ``peak_rss_mb`` and ``peak_memory_mb`` (the
    training device's); the ``device`` and ``precision``; ``test_windows``; the last-value
    forecast's test errors under ``last_value``; and each seed's record under ``seeds``.
    Read it as ``result["mse"]``."""

    record: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.record[key]

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder`` holding metrics.json."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            write_json(tmp / "metrics.json", json_ready(self.record))
        return folder


def run_ltsf(
    frame: pd.DataFrame,
    model: str,
    lookback: int,
    horizon: int,
    params: dict[str, Any],
    seeds: Sequence[int] = (1,),
    rows: tuple[int, int, int] = ETT_ROWS,
    name: str = "the data",
    workers: int | Engine = 1,
) -> LtsfResult:
    """Train and test ``model`` under the protocol once per seed; ``params`` come from
    ``seqcast.experiments.ltsf_settings.ltsf_params``, ``name`` names the data. The seeds
    run on ``workers``: a number of local processes or an ``Engine``."""
    if not issubclass(model_class(model), NeuralForecaster):
        raise SeqcastError(f"ltsf trains neural models; {model} is not one")
    if not seeds:
        raise SeqcastError("ltsf needs at least one seed")
    borders = part_borders(lookback, rows)
    if len(frame) < borders["test"][1]:
        raise SeqcastError(
            f"the protocol needs {borders['test'][1]} rows ({rows[0]} train, {rows[1]} "
            f"validation, {rows[2]} test), the data has {len(frame)}"
        )
    columns = list(frame.columns)
    require_numeric(frame, columns)
    train_rows = frame.iloc[slice(*borders["train"])]
    scaler = StandardScaler().fit(train_rows.to_numpy(dtype=float))
    scaled = pd.DataFrame(
        scaler.transform(frame.to_numpy(dtype=float)), index=frame.index, columns=columns
    )
    parts = {name: scaled.iloc[a:b] for name, (a, b) in borders.items()}
    for name, part in parts.items():
        if len(part) < lookback + horizon:
            raise SeqcastError(
                f"the {name} part has {len(part)} rows, too few for one window of "
                f"{lookback} + {horizon}"
            )

    task = functools.partial(_train_seed, model, params, parts, columns)
    labels = [f"seed {seed}" for seed in seeds]
    records = run_tasks(task, list(seeds), workers, labels=labels, what="seeds", preload=("torch",))
    summary: dict[str, Any] = {
        "dataset": name,
        "model": model,
        "lookback": lookback,
        "horizon": horizon,
        "settings": params,
    }
    summary |= {
        key: float(np.mean([r[key] for r in records]))
        for key in (
            "mse",
            "mae",
            "epochs",
            "seconds_per_epoch",
            "epoch_seconds",
            "params",
            "peak_rss_mb",
            "peak_memory_mb",
        )
    }
    summary |= {key: records[0][key] for key in ("device", "precision")}
    summary["params"] = int(summary["params"])
    summary["test_windows"] = len(parts["test"]) - lookback - horizon + 1
    summary["last_value"] = _last_value_errors(parts["test"].to_numpy(), lookback, horizon)
    summary["seeds"] = records
    return LtsfResult(summary)


def _train_seed(
    model: str,
    params: dict[str, Any],
    parts: dict[str, pd.DataFrame],
    columns: list[str],
    seed: int,
) -> dict[str, Any]:
    """One training run of the protocol: its test errors and how the training went."""
    from seqcast.training import evaluate

    settings = {**params, "train": {**params.get("train", {}), "seed": seed}}
    forecaster = create_model(model, **settings)
    assert isinstance(forecaster, NeuralForecaster)
    forecaster.fit(parts["train"], columns, valid=parts["valid"])
    test = forecaster.windows(parts["test"])
    mae, mse = evaluate(forecaster.trained_.module, test, np.ones(len(columns)))  # float32 products
    history = forecaster.trained_.history
    return {
        "seed": seed,
        "mse": mse,
        "mae": mae,
        "epochs": history.epochs,
        "best_epoch": history.best_epoch,
        "seconds_per_epoch": statistics.median(history.train_seconds),
        "epoch_seconds": statistics.median(history.seconds),
        "params": sum(p.numel() for p in forecaster.trained_.module.parameters()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": history.device,
        "precision": history.precision,
        "peak_memory_mb": history.peak_memory_mb,
        "stopped": history.stopped,
        "valid_mse": history.valid_mse,
        "train_loss": history.train_loss,
    }


def _last_value_errors(values: np.ndarray, lookback: int, horizon: int) -> dict[str, float]:
    """Test MSE and MAE of repeating each window's last row for all H steps."""
    count = len(values) - lookback - horizon + 1
    last = values[lookback - 1 : lookback - 1 + count]  # (N, C)
    ahead = np.lib.stride_tricks.sliding_window_view(values[lookback:], horizon, axis=0)
    repeated = np.broadcast_to(last[:, :, None], (count, values.shape[1], horizon))  # (N, C, H)
    return {
        "mse": metrics.mse(ahead[:count], repeated),
        "mae": metrics.mae(ahead[:count], repeated),
    }
