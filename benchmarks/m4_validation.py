"""M4 Hourly's validation split: choose a global model without reading the test file.

The train file minus its last 48 steps per series trains; those 48 steps are scored as M4
scores the test (sMAPE, MASE, OWA against Naive2 on the same split). Each model gets the
panel defaults ``seqcast benchmark`` gives it, then the ``--set`` settings over them.
``--level 95`` scores the models' 95 % intervals too, as M4's interval track did
(coverage, ACD, MSIS), and writes each series' scores to per_series.csv.

Run by hand (needs Hourly-train.csv and Hourly-test.csv in $SEQCAST_DATA_DIR):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/m4_validation.py --models mlp \
        --set hidden_size=512 --set num_layers=2 --set ensemble=5

Writes m4_validation.json and m4_validation.md (a markdown table) into a new folder under
--out.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from pathlib import Path

import pandas as pd

from seqcast import create_model, load_dataset
from seqcast.data.panel import drop_last
from seqcast.evaluation.benchmark import default_models
from seqcast.evaluation.metrics import owa
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.intervals import level_name
from seqcast.results import fresh_path, results_dir, write_json

HORIZON, SEASON = 48, 24
INTERVAL_SCORES = ("coverage", "acd", "msis")  # of the --level intervals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="seasonal_naive,mlp")
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--level", type=float, help="score this interval (percent) too")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    levels = [args.level] if args.level else None

    panel = drop_last(load_dataset("m4-hourly"), HORIZON)
    naive2 = create_model("naive2", season=SEASON)
    reference = panel_backtest(naive2, panel, "y", HORIZON, season=SEASON).metrics
    rows, per_series = [], []
    names = args.models.split(",")
    for model in default_models(SEASON, HORIZON, names, panel=True, settings=args.settings):
        clock = time.perf_counter()
        result = panel_backtest(model, panel, "y", HORIZON, season=SEASON, levels=levels)
        scores = result.metrics
        rows.append(
            {
                "model": model.name,
                "params": model.changed_params(),
                "smape": scores["smape"],
                "mase": scores["mase"],
                "owa": owa(scores["smape"], scores["mase"], reference["smape"], reference["mase"]),
                **_interval_scores(scores, args.level),
                "seconds": time.perf_counter() - clock,
            }
        )
        per_series.append(result.per_series.assign(model=model.name))
        print(f"{model.name}: valid OWA {rows[-1]['owa']:.4f} in {rows[-1]['seconds']:.0f} s")
    payload = {
        "split": "M4 Hourly train file minus its last 48 steps; those 48 scored",
        "settings": args.settings,
        "machine": platform.processor() or platform.machine(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": rows,
    }
    interval = list(INTERVAL_SCORES) if args.level else []
    table = [
        f"| model | settings | sMAPE | MASE | OWA | {' | '.join([*interval, 'seconds'])} |",
        "| --- " * (6 + len(interval)) + "|",
    ]
    for row in rows:
        cells = [f"{row[name]:.4f}" for name in interval] + [f"{row['seconds']:.0f}"]
        table.append(
            f"| {row['model']} | {' '.join(args.settings)} | {row['smape']:.3f} | "
            f"{row['mase']:.3f} | {row['owa']:.4f} | {' | '.join(cells)} |"
        )
    folder = fresh_path(args.out, "m4-validation")
    with results_dir(folder) as tmp:
        write_json(tmp / "m4_validation.json", payload)
        (tmp / "m4_validation.md").write_text("\n".join(table) + "\n")
        pd.concat(per_series).to_csv(tmp / "per_series.csv")
    print("\n".join(table))
    print(f"results in {folder}")


def _interval_scores(scores: dict[str, float], level: float | None) -> dict[str, float]:
    """The coverage, ACD and MSIS of the ``level`` % intervals (none without a level)."""
    if not level:
        return {}
    name = level_name(level)
    return {kind: scores[f"{kind}_{name}"] for kind in INTERVAL_SCORES}


if __name__ == "__main__":
    main()
