"""Figures of the foundation issue, measured: known answers and the default benchmark's time.

Run by hand (needs the ridership file in $SEQCAST_DATA_DIR):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/foundation.py --out benchmarks/results

Writes foundation.json and foundation.md (a markdown table) into a new folder under --out.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

import seqcast
from seqcast import backtest, create_model, load_dataset
from seqcast.results import fresh_path, results_dir, write_json

BOOK = {  # Géron's figures for seasonal naive (s=7), one day ahead, 2019-03-01..2019-05-31
    ("bus", "mae"): 43_915.6,
    ("rail", "mae"): 42_143.3,
    ("bus", "mape"): 8.294,
    ("rail", "mape"): 8.995,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    result = backtest(
        create_model("seasonal_naive", season=7),
        load_dataset("ridership"),
        ["bus", "rail"],
        "2019-03-01",
        "2019-05-31",
    )
    rows = [
        {
            "figure": f"ridership {column} {metric.upper()}, seasonal naive s=7, +1 day",
            "reference": reference,
            "measured": round(result.per_target[column][metric], 4),
        }
        for (column, metric), reference in BOOK.items()
    ]

    clock = time.perf_counter()
    with results_dir(fresh_path(Path("/tmp"), "seqcast-benchmark")) as tmp:
        subprocess.run(
            [sys.executable, "-m", "seqcast", "benchmark", "--out", str(tmp / "run")],
            check=True,
            capture_output=True,
        )
    seconds = time.perf_counter() - clock
    rows.append(
        {
            "figure": "`seqcast benchmark` (co2, every model, 209 origins x 52 weeks), "
            "whole process, s",
            "reference": None,
            "measured": round(seconds, 2),
        }
    )

    payload = {
        "seqcast": seqcast.__version__,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "figures": rows,
    }
    lines = ["| figure | reference | measured |", "| --- | --- | --- |"]
    lines += [f"| {r['figure']} | {r['reference'] or ''} | {r['measured']} |" for r in rows]
    with results_dir(fresh_path(args.out, "foundation")) as tmp:
        write_json(tmp / "foundation.json", payload)
        (tmp / "foundation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
