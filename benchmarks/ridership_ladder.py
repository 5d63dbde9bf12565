"""The ridership ladder of Géron's chapter 15, with the book's settings, over several seeds.

rail / 1e6 (and bus / 1e6 where used), train 2016-01..2018-12, validation 2019-01..2019-05
(windows made from each part alone, as Keras' timeseries_dataset_from_array does), window
56, Huber loss, SGD with momentum 0.9 at the book's learning rate for each model, batch 32,
up to 500 epochs, early stopping on validation MAE with patience 50 (best weights kept).

    SEQCAST_DATA_DIR=../shared/data python benchmarks/ridership_ladder.py --seeds 42,43,44

Writes ladder.json and ladder.md into a new folder under --out; --only picks rungs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast import create_model, load_dataset
from seqcast.results import fresh_path, results_dir, write_json

SCALE = 1e6
MULTIVARIATE = {  # bus, rail and a one-hot of the next day's type -> rail
    "hidden_size": 32,
    "covariates": ("bus",),
    "known_ahead": ("day_type",),
    "strategy": "direct",
}
SEQ2SEQ = {
    "strategy": "seq2seq",
    "horizon": 14,
    "covariates": ("bus",),
    "known_ahead": ("day_type",),
}
TUNED = {"optimizer": "adam", "scaling": "standard"}
RUNGS: list[tuple[str, str, dict[str, Any], float, float | None, dict[str, str]]] = [
    # (label, model, parameters, learning rate, the book's validation MAE, changes from the
    # book's recipe: TUNED trains with Adam on standard-scaled inputs instead of SGD on /1e6)
    ("linear on 56 lags", "linear", {}, 0.02, 37_866, {}),
    ("SimpleRNN(1)", "rnn", {"hidden_size": 1, "dense_head": False}, 0.02, 102_787, {}),
    ("SimpleRNN(32)+Dense", "rnn", {"hidden_size": 32}, 0.05, 29_015, {}),
    ("deep RNN 3x32", "rnn", {"hidden_size": 32, "num_layers": 3}, 0.01, 31_211, {}),
    (
        "multivariate RNN (bus, rail, next-day type)",
        "rnn",
        MULTIVARIATE,
        0.05,
        22_062,
        {},
    ),
    (
        "14-ahead direct RNN",
        "rnn",
        {**MULTIVARIATE, "horizon": 14},
        0.02,
        35_017,
        {},
    ),
    ("14-ahead seq2seq RNN", "rnn", {"hidden_size": 32, **SEQ2SEQ}, 0.1, 31_385, {}),
    ("LN-RNN seq2seq", "lnrnn", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None, {}),
    ("LSTM seq2seq", "lstm", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None, {}),
    ("GRU seq2seq", "gru", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None, {}),
    ("Conv1D+GRU seq2seq", "conv_gru", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None, {}),
    ("WaveNet seq2seq", "wavenet", SEQ2SEQ, 0.1, None, {}),
    (
        "multivariate GRU(32), Adam",
        "gru",
        MULTIVARIATE,
        3e-3,
        22_062,
        TUNED,
    ),
    ("LN-RNN seq2seq, Adam", "lnrnn", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    ("LSTM seq2seq, Adam", "lstm", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    ("GRU seq2seq, Adam", "gru", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    ("Conv1D+GRU seq2seq, Adam", "conv_gru", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    ("WaveNet seq2seq, Adam", "wavenet", SEQ2SEQ, 1e-3, None, TUNED),
    (
        "multivariate GRU(32), Adam, MAE loss",
        "gru",
        MULTIVARIATE,
        3e-3,
        22_062,
        {**TUNED, "loss": "mae"},
    ),
]


def run_rung(
    data: pd.DataFrame,
    model_name: str,
    params: dict[str, Any],
    lr: float,
    seed: int,
    epochs: int,
    recipe: dict[str, str],
) -> dict[str, Any]:
    train = data.loc["2016-01":"2018-12"]
    valid = data.loc["2019-01":"2019-05"]
    model = create_model(
        model_name,
        input_len=56,
        scaling=recipe.get("scaling", "none"),
        **params,
        train={
            "optimizer": recipe.get("optimizer", "sgd"),
            "momentum": 0.9,
            "lr": lr,
            "loss": recipe.get("loss", "huber"),
            "batch_size": 32,
            "epochs": epochs,
            "patience": 50,
            "seed": seed,
        },
    )
    model.fit(train, "rail", valid=valid)
    record = model.training_
    per_step = _per_step_mae(model, valid)
    return {
        "valid_mae": min(record.valid_mae) * SCALE,
        "per_step_mae": per_step,
        "epochs": record.epochs,
        "best_epoch": record.best_epoch,
        "seconds_per_epoch": statistics.median(record.seconds),
        "parameters": sum(p.numel() for p in model.module_.parameters()),
    }


def _per_step_mae(model: Any, valid: pd.DataFrame) -> list[float]:
    """MAE in riders at each step +1..+H over the validation windows' last positions."""
    import torch

    windows = model.windows(valid)
    with torch.no_grad():
        x, y = windows.batch(torch.arange(len(windows)))
        prediction = model.module_(x)[:, -1].reshape(y[:, -1].shape)
    units = float(model.scale_[0]) * SCALE  # the target's scaler, then the /1e6
    errors = (prediction - y[:, -1]).abs().mean(dim=(0, 2)) * units  # (H,)
    return [round(float(e), 1) for e in errors]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,43,44")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--only", default="", help="comma-separated rung numbers (1-based)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    chosen = [int(i) - 1 for i in args.only.split(",") if i] or range(len(RUNGS))

    raw = load_dataset("ridership")
    data = raw[["bus", "rail", "day_type"]].copy()
    data[["bus", "rail"]] = data[["bus", "rail"]] / SCALE

    rows = []
    for index in chosen:
        label, name, params, lr, book, recipe = RUNGS[index]
        runs = []
        for seed in seeds:
            clock = time.perf_counter()
            runs.append(run_rung(data, name, params, lr, seed, args.epochs, recipe))
            print(
                f"{label} seed {seed}: {runs[-1]['valid_mae']:,.0f} riders, "
                f"{runs[-1]['epochs']} epochs, {time.perf_counter() - clock:.0f} s",
                flush=True,
            )
        maes = [r["valid_mae"] for r in runs]
        rows.append(
            {
                "rung": label,
                "recipe": recipe,
                "model": name,
                "lr": lr,
                "book": book,
                "mean": statistics.mean(maes),
                "min": min(maes),
                "max": max(maes),
                "parameters": runs[0]["parameters"],
                "epochs": [r["epochs"] for r in runs],
                "seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in runs),
                "per_step_mae_mean": np.mean([r["per_step_mae"] for r in runs], axis=0)
                .round(0)
                .tolist(),
                "runs": runs,
            }
        )

    lines = [
        "| model | recipe | book | seqcast mean (min-max) | params | epochs | s/epoch |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        book = f"{r['book']:,}" if r["book"] else "not converged"
        recipe = "Adam, standard scaling" if r["recipe"] else "book (SGD, /1e6)"
        if r["recipe"].get("loss"):
            recipe += f", {r['recipe']['loss'].upper()} loss"
        lines.append(
            f"| {r['rung']} | {recipe} | {book} | {r['mean']:,.0f} ({r['min']:,.0f}-"
            f"{r['max']:,.0f}) | {r['parameters']:,} | {', '.join(map(str, r['epochs']))} | "
            f"{r['seconds_per_epoch']:.2f} |"
        )
    with results_dir(fresh_path(args.out, "ridership_ladder")) as tmp:
        write_json(tmp / "ladder.json", {"seeds": seeds, "rows": rows})
        (tmp / "ladder.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(
        json.dumps(
            {r["rung"]: r["per_step_mae_mean"] for r in rows if len(r["per_step_mae_mean"]) > 1}
        )
    )


if __name__ == "__main__":
    main()
