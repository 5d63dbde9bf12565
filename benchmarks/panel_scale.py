"""Panels at M4 scale: loading and the per-series baselines, as whole commands.

Makes two long files (``id, ds, y``) and times seqcast's own commands on them:

1. ``p10k``: 10,000 short daily series of 20 days (a weekly wave, a level, noise): 200,000
   rows. ``load_panel`` in this process, then ``seqcast benchmark --models
   naive,seasonal_naive,theta --workers 2`` (and naive, seasonal naive alone).
2. ``m4size``: 100,000 daily series whose lengths are drawn like M4's six groups (their
   series counts, the groups' shortest and longest series, lognormal around their mean
   length; 13 to 9,919 values, about 24 million in all), written as Parquet. ``seqcast
   benchmark --models naive,seasonal_naive`` on it, the whole command, with its peak
   memory (``/usr/bin/time``).

Run by hand on an idle machine:

    python benchmarks/panel_scale.py --out results

Writes panel_scale.json and panel_scale.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.data.panel import load_panel
from seqcast.results import fresh_path, results_dir, write_json

# M4's groups: (series, shortest, longest, mean length) of the training series
M4_GROUPS = {
    "yearly": (23_000, 13, 835, 31),
    "quarterly": (24_000, 16, 866, 92),
    "monthly": (48_000, 42, 2_794, 216),
    "weekly": (359, 80, 2_597, 1_022),
    "daily": (4_227, 93, 9_919, 2_357),
    "hourly": (414, 700, 960, 853),
}


def m4_lengths(seed: int = 0) -> np.ndarray:
    """(100,000,) series lengths drawn like M4's: each group's count, lognormal around
    its mean, clipped to its shortest and longest."""
    rng = np.random.default_rng(seed)
    parts = []
    for count, low, high, mean in M4_GROUPS.values():
        drawn = np.exp(rng.normal(np.log(mean) - 0.125, 0.5, count)).round()  # mean: mean
        parts.append(np.clip(drawn, low, high).astype(np.int64))
    return np.concatenate(parts)


def long_panel(lengths: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Daily series of ``lengths``: a level, a weekly wave, a random walk; ids s000000..."""
    rng = np.random.default_rng(seed)
    n, total = len(lengths), int(lengths.sum())
    series = np.repeat(np.arange(n), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(total) - np.repeat(starts, lengths)  # each series' own step count
    first = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 3_000, n), unit="D")
    days = np.repeat(first.to_numpy(), lengths) + t * np.timedelta64(1, "D")
    steps = rng.normal(size=total) * 0.5
    walk = np.cumsum(steps) - np.repeat(np.cumsum(steps)[starts] - steps[starts], lengths)
    level = np.repeat(rng.uniform(50, 500, n), lengths)
    y = level + 5 * np.sin(2 * np.pi * t / 7) + walk
    ids = np.array([f"s{i:06d}" for i in range(n)], dtype=object)[series]
    return pd.DataFrame({"id": ids, "ds": days, "y": y})


def run_command(command: list[str]) -> dict:
    """Run ``command`` under /usr/bin/time: wall seconds, peak memory (MB), its output."""
    timed = ["/usr/bin/time", "-f", "TIME %e %M", *command]
    clock = time.perf_counter()
    done = subprocess.run(timed, capture_output=True, text=True)
    wall = time.perf_counter() - clock
    found = re.search(r"TIME ([\d.]+) (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    model_lines = [line for line in done.stderr.splitlines() if line.startswith("model ")]
    return {
        "command": " ".join(command[2:]),
        "seconds": round(wall, 2),
        "peak_mb": round(int(found.group(2)) / 1024),
        "models": [line for line in model_lines if " in " in line],
    }


def benchmark_command(path: Path, models: str, out: Path, workers: int = 1) -> list[str]:
    command = [sys.executable, "-m", "seqcast", "benchmark", "--csv", str(path)]
    command += ["--id-column", "id", "--date-column", "ds", "--target", "y", "--horizon", "6"]
    command += ["--season", "7", "--models", models, "--workers", str(workers)]
    return [*command, "--out", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--skip-m4size", action="store_true", help="only the 10,000 series")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="panel-scale-"))
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    figures: dict = {"machine": machine}

    small = folder / "p10k.csv"
    long_panel(np.full(10_000, 20)).to_csv(small, index=False)
    clock = time.perf_counter()
    load_panel(small, "id", "ds")
    figures["p10k_load_panel_s"] = round(time.perf_counter() - clock, 3)
    print(f"load_panel, 10,000 series: {figures['p10k_load_panel_s']} s")
    for models, workers in (("naive", 1), ("seasonal_naive", 1), ("naive,seasonal_naive,theta", 2)):
        key = f"p10k_{models.replace(',', '+')}"
        figures[key] = run_command(benchmark_command(small, models, folder / key, workers))
        print(f"{key}: {figures[key]['seconds']} s, {figures[key]['peak_mb']} MB")

    if not args.skip_m4size:
        big = folder / "m4size.parquet"
        lengths = m4_lengths()
        long_panel(lengths).to_parquet(big, index=False)
        figures["m4size_series"], figures["m4size_values"] = len(lengths), int(lengths.sum())
        run = run_command(benchmark_command(big, "naive,seasonal_naive", folder / "m4"))
        figures["m4size_naive+seasonal_naive"] = run
        print(f"M4 size, {int(lengths.sum()):,} values: {run['seconds']} s, {run['peak_mb']} MB")

    shutil.rmtree(folder)  # the files made, and the commands' results
    out = fresh_path(args.out, "panel-scale")
    with results_dir(out) as tmp:
        write_json(tmp / "panel_scale.json", figures)
        rows = [f"| {key} | {json.dumps(value)} |" for key, value in figures.items()]
        (tmp / "panel_scale.md").write_text("| figure | value |\n| --- | --- |\n" + "\n".join(rows))
    print(f"results in {out}")


if __name__ == "__main__":
    main()
