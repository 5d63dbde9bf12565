"""Scale-out on Ray, measured on this machine: M4 Hourly per series, and 10,000 series.

1. M4 Hourly, ``--model`` (default theta) fitted per series over all 414: ``--repeats``
   runs in one process, then as many on the Ray engine with ``--cpus`` CPUs (a new local
   cluster), in the same run. Ray's start-up (``ray.init``, then a worker per CPU
   importing seqcast and statsmodels) is timed apart. The first one-process run pays for
   the imports its model makes on first use (statsmodels' ETS for theta). Ratios: first
   to first, and median to median. The forecasts are checked equal to the last bit.
2. A synthetic panel of ``--series`` short daily series (a weekly wave, a trend, noise)
   written to a CSV and run through ``seqcast benchmark --engine ray`` (the command line,
   Ray start-up included) with a local model and ``naive`` (next to nothing to fit: its
   time is the share every series costs whatever the model); series per second from the
   leaderboard.

Run by hand on an idle machine (needs Hourly-train.csv and Hourly-test.csv):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/ray_scale.py

Writes ray_scale.json and ray_scale.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast import create_model, load_dataset
from seqcast.engines import Engine
from seqcast.evaluation.panel import panel_backtest
from seqcast.results import fresh_path, results_dir, write_json


def timed(function):  # type: ignore[no-untyped-def]
    clock = time.perf_counter()
    value = function()
    return value, time.perf_counter() - clock


def m4_part(model: str, cpus: int, repeats: int) -> dict:
    panel = load_dataset("m4-hourly")
    run = lambda engine: panel_backtest(  # noqa: E731
        create_model(model, season=24), panel, "y", 48, season=24, workers=engine
    )
    single = [timed(lambda: run(1)) for _ in range(repeats)]
    print(f"{model}, one process: " + ", ".join(f"{s:.2f}" for _, s in single) + " s")
    with Engine("ray", cpus) as engine:  # one cluster for every run, shut down after them
        _, init_s = timed(engine.width)  # starts the cluster and counts its CPUs
        print(f"Ray start-up ({cpus} CPUs): {init_s:.2f} s")
        spread = [timed(lambda: run(engine)) for _ in range(repeats)]
    print("ray: " + ", ".join(f"{s:.2f}" for _, s in spread) + " s")
    reference = single[0][0].forecasts
    same = all(result.forecasts.equals(reference) for result, _ in single + spread)
    single_s = [s for _, s in single]
    ray_s = [s for _, s in spread]
    return {
        "model": model,
        "series": single[0][0].n_series,
        "repeats": repeats,
        "single_process_s": single_s,
        "ray_startup_s": init_s,
        "ray_s": ray_s,
        "ratio_first": ray_s[0] / single_s[0],
        "ratio_median": statistics.median(ray_s) / statistics.median(single_s),
        "series_per_s_per_core": single[0][0].n_series / statistics.median(single_s),
        "identical_forecasts": bool(same),
        "smape": single[0][0].metrics["smape"],
        "mase": single[0][0].metrics["mase"],
    }


def synthetic_panel(series: int, length: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(10, 1000, series)[:, None]
    wave = rng.uniform(0, 0.2, series)[:, None] * np.sin(2 * np.pi * t / 7)
    trend = rng.normal(0, 0.002, series)[:, None] * t
    noise = rng.normal(0, 0.03, (series, length))
    values = level * (1 + wave + trend + noise)
    return pd.DataFrame(
        {
            "id": np.repeat([f"S{i:06d}" for i in range(series)], length),
            "date": np.tile(pd.date_range("2024-01-01", periods=length).strftime("%F"), series),
            "y": values.ravel().round(3),
        }
    )


def synthetic_part(series: int, length: int, model: str, cpus: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "panel.csv"
        synthetic_panel(series, length).to_csv(path, index=False)
        out = Path(folder) / "board"
        command = [sys.executable, "-m", "seqcast", "benchmark", "--csv", str(path)]
        command += ["--id-column", "id", "--date-column", "date", "--target", "y"]
        command += ["--horizon", "14", "--season", "7", "--models", f"{model},naive"]
        command += ["--engine", "ray", "--workers", str(cpus), "--out", str(out)]
        _, wall = timed(lambda: subprocess.run(command, check=True, env={**os.environ}))
        board = json.loads((out / "leaderboard.json").read_text())
    rows = {r["model"]: r for r in board["leaderboard"]}
    return {
        "series": series,
        "length": length,
        "model": model,
        "command_wall_s": wall,
        "model_s": rows[model]["seconds"],
        "naive_s": rows["naive"]["seconds"],  # next to nothing to fit: the fixed share
        "naive2_s": board["reference"]["seconds"],  # the OWA reference, run too
        "series_per_s": series / rows[model]["seconds"],
        "owa": rows[model]["owa"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="theta")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--length", type=int, default=120)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    m4 = m4_part(args.model, args.cpus, args.repeats)  # its cluster is shut down after it
    synthetic = (
        None
        if args.skip_synthetic
        else synthetic_part(args.series, args.length, args.model, args.cpus)
    )
    payload = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "m4_hourly": m4,
        "synthetic": synthetic,
    }
    table = [
        "| job | one process (s) | Ray start-up (s) | Ray, 2 CPUs (s) | ratio: first, median |",
        "| --- | --- | --- | --- | --- |",
        f"| M4 Hourly {m4['model']}, {m4['series']} series | "
        + ", ".join(f"{s:.2f}" for s in m4["single_process_s"])
        + f" | {m4['ray_startup_s']:.2f} | "
        + ", ".join(f"{s:.2f}" for s in m4["ray_s"])
        + f" | {m4['ratio_first']:.2f}, {m4['ratio_median']:.2f} |",
    ]
    if synthetic is not None:
        table += [
            "",
            "| synthetic panel | model (s) | series/s | naive (s) | Naive2 (s) | command (s) |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {synthetic['series']:,} x {synthetic['length']} days, {synthetic['model']} | "
            f"{synthetic['model_s']:.1f} | {synthetic['series_per_s']:.0f} | "
            f"{synthetic['naive_s']:.1f} | {synthetic['naive2_s']:.1f} | "
            f"{synthetic['command_wall_s']:.1f} |",
        ]
    folder = fresh_path(args.out, "ray-scale")
    with results_dir(folder) as tmp:
        write_json(tmp / "ray_scale.json", payload)
        (tmp / "ray_scale.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
