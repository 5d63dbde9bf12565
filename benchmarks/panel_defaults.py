"""Panel defaults across panels: each model's validation error, with the settings
``seqcast benchmark`` gives it on a panel, on every panel the team has.

A default chosen on one panel may not hold on the next; this scores each model's panel
defaults (then the ``--set`` settings over them) on the last horizon of every series of:

- ``m4-hourly``: M4 Hourly's train file (414 series; H 48, m 24), the test file unread.
- ``etth1``: ETTh1's seven hourly columns cut into four-week series (175; H 48, m 24).
- ``ridership``: Chicago's daily bus and rail boardings cut into years (42; H 14, m 7).
- ``synthetic``: 300 monthly series of known structure (level, trend, a season of 12 with
  random amplitude and phase, noise), 60 to 240 months long (H 18, m 12).

MASE (in units of each series' in-sample seasonal-naive error) is the measure every panel
has; ``vs snaive`` divides a model's by seasonal naive's on the same panel, so below 1
beats it; seasonal naive is always scored and takes no ``--set``. Run by hand
($SEQCAST_DATA_DIR holds the M4, ETT and ridership files):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/panel_defaults.py \
        --panels etth1,ridership,synthetic --models rnn,gru --set highway=0

Writes panel_defaults.json and panel_defaults.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast import load_dataset
from seqcast.data.panel import drop_last, from_series
from seqcast.evaluation.benchmark import default_models
from seqcast.evaluation.panel import panel_backtest
from seqcast.results import fresh_path, results_dir, write_json

Panel = tuple[pd.DataFrame, int, int]  # (panel with column y, season, horizon)


def m4_hourly() -> Panel:
    return drop_last(load_dataset("m4-hourly"), 48), 24, 48


def _cut(frame: pd.DataFrame, columns: list[str], length: int) -> pd.DataFrame:
    """Each column cut into consecutive series of ``length`` steps, as one panel."""
    series = {}
    for column in columns:
        values = frame[column]
        for start in range(0, len(values) - length + 1, length):
            piece = values.iloc[start : start + length].to_frame("y")
            piece.index.freq = frame.index.freq
            series[f"{column}-{start // length}"] = piece
    return from_series(series)


def etth1() -> Panel:
    frame = load_dataset("etth1")
    return _cut(frame, list(frame.columns), 28 * 24), 24, 48


def ridership() -> Panel:
    frame = load_dataset("ridership")
    return _cut(frame, ["bus", "rail"], 365), 7, 14


def synthetic(count: int = 300, seed: int = 0) -> Panel:
    """Monthly series: level 50-500, a trend of -0.5..1 % a month, a season of 12 with
    amplitude 5-40 % of the level and a random phase, Gaussian noise of 2-10 %."""
    rng = np.random.default_rng(seed)
    series = {}
    for number in range(count):
        length = int(rng.integers(60, 241))
        t = np.arange(length)
        level = rng.uniform(50, 500) * (1 + rng.uniform(-0.005, 0.01)) ** t
        season = rng.uniform(0.05, 0.4) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        noise = rng.normal(0, rng.uniform(0.02, 0.1), length)
        index = pd.date_range("2000-01-01", periods=length, freq="MS")
        series[f"S{number}"] = pd.DataFrame({"y": level * (1 + season + noise)}, index=index)
    return from_series(series), 12, 18


PANELS: dict[str, Callable[[], Panel]] = {
    "m4-hourly": m4_hourly,
    "etth1": etth1,
    "ridership": ridership,
    "synthetic": synthetic,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", default="etth1,ridership,synthetic")
    parser.add_argument("--models", default="gru")
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    names = [name for name in args.models.split(",") if name != "seasonal_naive"]
    rows = []
    for panel_name in args.panels.split(","):
        panel, season, horizon = PANELS[panel_name]()
        print(f"{panel_name}: {panel.index.get_level_values(0).nunique()} series, H {horizon}")
        # every row is measured against seasonal naive, which takes no --set
        models = [
            *default_models(season, horizon, ["seasonal_naive"], panel=True),
            *default_models(season, horizon, names, panel=True, settings=args.settings),
        ]
        for number, model in enumerate(models, start=1):
            clock = time.perf_counter()
            scores = panel_backtest(model, panel, "y", horizon, season=season).metrics
            seconds = time.perf_counter() - clock
            rows.append(
                {
                    "panel": panel_name,
                    "model": model.name,
                    "params": model.changed_params(),
                    "mase": scores["mase"],
                    "smape": scores["smape"],
                    "seconds": seconds,
                }
            )
            print(
                f"  model {number}/{len(models)}: {model.name} MASE {scores['mase']:.4f} "
                f"in {seconds:.0f} s",
                flush=True,
            )
    for row in rows:
        naive = next(
            r["mase"] for r in rows if r["panel"] == row["panel"] and r["model"] == "seasonal_naive"
        )
        row["vs_snaive"] = row["mase"] / naive
    table = [
        "| panel | model | MASE | vs snaive | sMAPE % | seconds |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['panel']} | {r['model']} | {r['mase']:.3f} | {r['vs_snaive']:.3f} | "
            f"{r['smape']:.2f} | {r['seconds']:.0f} |"
            for r in rows
        ),
    ]
    payload = {
        "split": "each series' last horizon scored, trained on what precedes it",
        "settings": args.settings,
        "machine": platform.processor() or platform.machine(),
        "rows": rows,
    }
    folder = fresh_path(args.out, "panel-defaults")
    with results_dir(folder) as tmp:
        write_json(tmp / "panel_defaults.json", payload)
        (tmp / "panel_defaults.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
