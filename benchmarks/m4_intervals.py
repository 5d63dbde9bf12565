"""M4 Hourly's interval track: 95 % intervals scored by MSIS and ACD, as the organisers did.

Every series forecasts its test file's 48 steps from the end of its train file; an interval
is scored by its coverage (ACD: the distance of the share of the 414 x 48 truths inside
from 0.95) and its MSIS (the interval score over the series' seasonal-naive MAE, averaged
over series). The candidates (``--only`` picks some):

- ``snaive``: seasonal naive with its own Normal intervals (σ of the season-on-season
  changes, widening with every whole season ahead), the best statistical model's OWA;
- ``snaive+conformal/series``, ``snaive+conformal/panel``: conformal intervals around it,
  from 100 origins (stride 1) in the last 147 steps of the train file, each series' own
  errors, or every series' errors scaled by its MASE scale and ranked together;
- ``mlp/quantile``: the best neural model (mlp 2 x 512, ensemble 5, the panel defaults)
  trained with the pinball loss of the 2.5, 10, 50, 90 and 97.5 % quantiles;
  ``mlp/quantile9`` of nine quantiles (2.5, 5, 10, 25, 50, 75, 90, 95, 97.5 %);
  ``mlp/student_t`` by Student-t likelihood;
- ``mlp+conformal/series``, ``mlp+conformal/panel``: conformal intervals around that mlp
  trained with its MAE loss (refitted on the whole train file after calibrating);
  ``mlp/student_t+conformal/...`` around the Student-t mlp (its median as the point).

Run by hand (needs Hourly-train.csv and Hourly-test.csv):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/m4_intervals.py

Writes m4_intervals.json and m4_intervals.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from seqcast import create_model, load_dataset
from seqcast.evaluation.benchmark import panel_benchmark
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Conformal
from seqcast.models.registry import model_class
from seqcast.results import fresh_path, results_dir, write_json

SEASON, HORIZON = 24, 48
NINE = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
OFFICIAL = {  # the M4 interval track's Hourly MSIS, as issue 13 quotes them
    "Smyl (the M4 winner)": 7.928,
    "Doornik et al. (the best interval entry)": 6.139,
    "ARIMA (organisers)": 7.538,
    "ETS (organisers)": 17.487,
}


def mlp(loss: str, **train_settings: object) -> Forecaster:
    """The best neural model of the point track, trained with ``loss``."""
    settings = model_class("mlp").defaults_for(SEASON, HORIZON, panel=True)
    train = {**settings.pop("train"), "loss": loss, **train_settings}
    return create_model("mlp", **settings, hidden_size=512, num_layers=2, ensemble=5, train=train)


def around(model: Forecaster, pool: str) -> Forecaster:
    return Conformal(model, horizon=HORIZON, origins=100, pool=pool, season=SEASON)


CANDIDATES: dict[str, Callable[[], Forecaster]] = {
    "snaive": lambda: create_model("seasonal_naive", season=SEASON),
    "snaive+conformal/series": lambda: around(
        create_model("seasonal_naive", season=SEASON), "series"
    ),
    "snaive+conformal/panel": lambda: around(
        create_model("seasonal_naive", season=SEASON), "panel"
    ),
    "mlp/quantile": lambda: mlp("quantile"),
    "mlp/quantile9": lambda: mlp("quantile", quantiles=NINE),
    "mlp/student_t": lambda: mlp("student_t"),
    "mlp+conformal/series": lambda: around(mlp("mae"), "series"),
    "mlp+conformal/panel": lambda: around(mlp("mae"), "panel"),
    "mlp/student_t+conformal/series": lambda: around(mlp("student_t"), "series"),
    "mlp/student_t+conformal/panel": lambda: around(mlp("student_t"), "panel"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CANDIDATES), help="comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    names = args.only.split(",")
    panel = load_dataset("m4-hourly")
    rows = []
    for name in names:  # one at a time: each row's seconds are its own
        clock = time.perf_counter()
        board = panel_benchmark(
            [CANDIDATES[name]()],
            panel,
            "y",
            HORIZON,
            season=SEASON,
            levels=[95],
            workers=args.workers,
        )
        row = board.leaderboard.iloc[0].to_dict()
        row.update(candidate=name, wall_s=time.perf_counter() - clock)
        rows.append(row)
        print(
            f"{name}: sMAPE {row['smape']:.3f}, OWA {row['owa']:.3f}, coverage "
            f"{row['coverage_95']:.4f}, ACD {row['acd_95']:.4f}, MSIS {row['msis_95']:.3f} "
            f"({row['wall_s']:.0f} s)",
            flush=True,
        )
    table = [
        "| candidate | sMAPE | OWA | coverage | ACD | MSIS | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['candidate']} | {r['smape']:.3f} | {r['owa']:.3f} | {r['coverage_95']:.4f} | "
            f"{r['acd_95']:.4f} | {r['msis_95']:.3f} | {r['wall_s']:.0f} |"
            for r in rows
        ),
        *(f"| {who} | | | | | {value:.3f} | |" for who, value in OFFICIAL.items()),
    ]
    folder = fresh_path(args.out, "m4-intervals")
    with results_dir(folder) as tmp:
        write_json(
            tmp / "m4_intervals.json",
            {
                "machine": platform.processor() or platform.machine(),
                "cores": os.cpu_count(),
                "rows": rows,
                "official_msis": OFFICIAL,
            },
        )
        (tmp / "m4_intervals.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
