"""Ridership rail: 95 % intervals for the book's 92 one-day-ahead forecasts (2019-03..05).

Every day of March-May 2019 is forecast from the day before, by a model fitted once on the
data up to 2019-02-28 (from 2016-01-01; the seqcast backtest without refitting). The
candidates (``--only`` picks some):

- ``gru+conformal``: the best one-step model of the ridership ladder (multivariate GRU(32):
  bus, rail and the next day's type, Adam 3e-3, MAE loss, standard scaling; in riders, not
  the book's millions: the scaling makes them the same to the network), with conformal
  intervals from its errors on the ``--calibration`` days before March (fitted on the days
  before those, then refitted on everything up to February);
- ``gru/student_t``: the same network trained by Student-t likelihood (its own intervals);
- ``snaive+conformal``: seasonal naive (s = 7) with conformal intervals, same calibration;
- ``sarima``: the book's SARIMA(1,0,0)(0,1,1,7) refitted every day on 2019-01-01 up to the
  day before, with statsmodels' intervals.

Run by hand:

    SEQCAST_DATA_DIR=../shared/data python benchmarks/ridership_intervals.py

Writes ridership_intervals.json and .md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqcast import create_model, load_dataset
from seqcast.evaluation.backtest import backtest
from seqcast.experiments.ladder import MULTIVARIATE
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Conformal
from seqcast.results import fresh_path, results_dir, write_json

START, END = "2019-03-01", "2019-05-31"


def gru(loss: str, seed: int) -> Forecaster:
    """The ladder's best one-step model, trained with ``loss``."""
    return create_model(
        "gru",
        input_len=56,
        scaling="standard",
        norm="none",
        **MULTIVARIATE,
        train={
            "optimizer": "adam",
            "lr": 3e-3,
            "loss": loss,
            "batch_size": 32,
            "epochs": 500,
            "patience": 50,
            "seed": seed,
        },
    )


def candidates(calibration: int, seed: int) -> dict[str, Callable[[], tuple[Forecaster, dict]]]:
    one_day: dict[str, Any] = {"train_start": "2016-01-01"}
    return {
        "gru+conformal": lambda: (Conformal(gru("mae", seed), origins=calibration), one_day),
        "gru/student_t": lambda: (gru("student_t", seed), one_day),
        "snaive+conformal": lambda: (
            Conformal(create_model("seasonal_naive", season=7), origins=calibration),
            one_day,
        ),
        "sarima": lambda: (
            create_model("arima", order=(1, 0, 0), seasonal_order=(0, 1, 1, 7)),
            {"train_start": "2019-01-01", "refit": True},
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="gru+conformal,gru/student_t,snaive+conformal,sarima")
    parser.add_argument("--calibration", type=int, default=365, help="conformal origins")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    data = load_dataset("ridership")[["bus", "rail", "day_type"]]  # riders
    runs = candidates(args.calibration, args.seed)
    rows = []
    for name in args.only.split(","):
        model, options = runs[name]()
        clock = time.perf_counter()
        result = backtest(model, data, "rail", START, END, 1, season=7, levels=[80, 95], **options)
        m = result.metrics
        rows.append(
            {
                "candidate": name,
                "days": result.n_forecasts,
                "mae_riders": m["mae"],
                "coverage_95": m["coverage_95"],
                "width_95_riders": m["width_95"],
                "msis_95": m["msis_95"],
                "coverage_80": m["coverage_80"],
                "width_80_riders": m["width_80"],
                "seconds": time.perf_counter() - clock,
            }
        )
        print(rows[-1], flush=True)
    table = [
        "| candidate | days | MAE (riders) | 95 % coverage | 95 % mean width (riders) | MSIS | "
        "80 % coverage | 80 % mean width | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['candidate']} | {r['days']} | {r['mae_riders']:,.0f} | "
            f"{r['coverage_95']:.1%} | {r['width_95_riders']:,.0f} | {r['msis_95']:.2f} | "
            f"{r['coverage_80']:.1%} | {r['width_80_riders']:,.0f} | {r['seconds']:.0f} |"
            for r in rows
        ),
    ]
    folder = fresh_path(args.out, "ridership-intervals")
    with results_dir(folder) as tmp:
        write_json(
            tmp / "ridership_intervals.json",
            {
                "machine": platform.processor() or platform.machine(),
                "cores": os.cpu_count(),
                "calibration": args.calibration,
                "seed": args.seed,
                "rows": rows,
            },
        )
        (tmp / "ridership_intervals.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
