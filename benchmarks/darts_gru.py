"""Seconds per epoch: seqcast's GRU(32) against Darts' BlockRNNModel GRU, in one run.

Ridership rail / 1e6 (float32), 2016-01..2018-12, window 56, 14 steps ahead, batch 32,
SGD lr 0.02 momentum 0.9, Huber loss, 20 epochs, no validation pass on either side.
Run in a virtual environment that has Darts (made with --system-site-packages so that it
reuses the installed torch and sees seqcast):

    python -m venv --system-site-packages .darts
    .darts/bin/pip install "darts[torch]==0.48.1" "pandas<3"
    SEQCAST_DATA_DIR=../shared/data .darts/bin/python benchmarks/darts_gru.py --rounds 3

The architectures differ in the head, as the spec notes: Darts' BlockRNNModel applies one
Linear(32, 1) to the GRU outputs of the last 14 input steps; seqcast's seq2seq GRU applies
Linear(32, 14) at every step and scores all 56 steps, its direct GRU Linear(32, 14) at the
last step only. Both seqcast variants are timed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from seqcast import create_model, load_dataset
from seqcast.results import fresh_path, results_dir, write_json

EPOCHS = 20


def seqcast_epoch(train, strategy: str, seed: int) -> float:  # type: ignore[no-untyped-def]
    model = create_model(
        "gru",
        input_len=56,
        horizon=14,
        strategy=strategy,
        hidden_size=32,
        scaling="none",
        train={
            "epochs": EPOCHS,
            "batch_size": 32,
            "optimizer": "sgd",
            "lr": 0.02,
            "momentum": 0.9,
            "loss": "huber",
            "valid_fraction": 0.0,
            "seed": seed,
        },
    )
    model.fit(train, "rail")
    return statistics.median(model.trained_.history.seconds)


def darts_epoch(train, seed: int) -> float:  # type: ignore[no-untyped-def]
    from darts import TimeSeries
    from darts.models import BlockRNNModel

    series = TimeSeries.from_series(train["rail"].astype("float32"))
    model = BlockRNNModel(
        model="GRU",
        input_chunk_length=56,
        output_chunk_length=14,
        hidden_dim=32,
        n_rnn_layers=1,
        batch_size=32,
        n_epochs=EPOCHS,
        optimizer_cls=torch.optim.SGD,
        optimizer_kwargs={"lr": 0.02, "momentum": 0.9},
        loss_fn=torch.nn.HuberLoss(),
        random_state=seed,
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": False,
            "enable_checkpointing": False,
        },
    )
    clock = time.perf_counter()
    model.fit(series)
    return (time.perf_counter() - clock) / EPOCHS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    data = load_dataset("ridership")[["rail"]].astype("float32") / 1e6
    train = data.loc["2016-01":"2018-12"]
    times: dict[str, list[float]] = {
        "darts BlockRNNModel GRU": [],
        "seqcast gru seq2seq": [],
        "seqcast gru direct": [],
    }
    for r in range(args.rounds):
        times["darts BlockRNNModel GRU"].append(darts_epoch(train, 42 + r))
        times["seqcast gru seq2seq"].append(seqcast_epoch(train, "seq2seq", 42 + r))
        times["seqcast gru direct"].append(seqcast_epoch(train, "direct", 42 + r))
    darts = statistics.median(times["darts BlockRNNModel GRU"])
    rows = [
        {
            "run": k,
            "median_s_per_epoch": round(statistics.median(v), 3),
            "all": [round(x, 3) for x in v],
            "ratio_to_darts": round(statistics.median(v) / darts, 2),
        }
        for k, v in times.items()
    ]
    lines = ["| run | s/epoch (median) | ratio to Darts |", "| --- | --- | --- |"]
    lines += [f"| {r['run']} | {r['median_s_per_epoch']} | {r['ratio_to_darts']}x |" for r in rows]
    with results_dir(fresh_path(args.out, "darts_gru")) as tmp:
        write_json(tmp / "darts_gru.json", {"torch_threads": torch.get_num_threads(), "rows": rows})
        (tmp / "darts_gru.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
