"""Gather `seqcast ltsf` results folders into one markdown table: test MSE / MAE per model,
lookback, horizon and precision, as the mean over every seed found and its spread (max -
min), with epochs, training seconds per epoch (of the fastest seed: the least disturbed on
a shared machine), parameters and peak memory.

    python benchmarks/ltsf_table.py results/segrnn-L96-H96-s1 results/segrnn-L96-H96-s2 ...

Folders may hold one seed each (one process per seed, as the figures in
docs/benchmarks.md were made) or several; seeds are pooled by their settings.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

Key = tuple[str, int, int, str, str]  # model, lookback, horizon, precision, settings


def collect(folders: list[Path]) -> dict[Key, list[dict[str, Any]]]:
    """Per-seed records keyed by model, lookback, horizon, precision and the training
    settings that differ between presets (dropout, batch size, learning rate)."""
    groups: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for folder in folders:
        metrics = json.loads((folder / "metrics.json").read_text())
        settings, train = metrics["settings"], metrics["settings"]["train"]
        precision = train.get("precision", "fp32")
        dropout = settings.get("dropout", "-")
        brief = f"dropout {dropout}, batch {train['batch_size']}, lr {train['lr']:g}"
        key = (metrics["model"], metrics["lookback"], metrics["horizon"], precision, brief)
        for record in metrics["seeds"]:
            groups[key].append({**record, "last_value": metrics["last_value"]})
    return groups


def table(groups: dict[Key, list[dict[str, Any]]]) -> str:
    lines = [
        "| model | L | H | precision | settings | seeds | test MSE (spread) | test MAE (spread) "
        "| epochs | s/epoch (fastest seed) | params | peak RSS MB | last value MSE |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in sorted(groups):
        records = groups[key]
        mse = [r["mse"] for r in records]
        mae = [r["mae"] for r in records]
        model, lookback, horizon, precision, brief = key
        seeds = ",".join(str(r["seed"]) for r in records)
        lines.append(
            f"| {model} | {lookback} | {horizon} | {precision} | {brief} | {seeds} "
            f"| {statistics.mean(mse):.4f} ({max(mse) - min(mse):.4f}) "
            f"| {statistics.mean(mae):.4f} ({max(mae) - min(mae):.4f}) "
            f"| {statistics.mean(r['epochs'] for r in records):.1f} "
            f"| {min(r['seconds_per_epoch'] for r in records):.1f} "
            f"| {records[0]['params']:,} "
            f"| {max(r['peak_rss_mb'] for r in records):,.0f} "
            f"| {records[0]['last_value']['mse']:.4f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="seqcast ltsf --out folders")
    args = parser.parse_args()
    print(table(collect(args.folders)))


if __name__ == "__main__":
    main()
