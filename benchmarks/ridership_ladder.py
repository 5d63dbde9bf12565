"""The ridership ladder of Géron's chapter 15 (seqcast.experiments.ladder) over several seeds.

The rungs, their settings and the runner live in seqcast/ladder.py; one seed of every rung
is also `seqcast benchmark --preset ridership`.

    SEQCAST_DATA_DIR=../shared/data python benchmarks/ridership_ladder.py --seeds 42,43,44

Writes ladder.json and ladder.md into a new folder under --out; --only picks rungs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from seqcast.experiments.ladder import RUNGS, ladder_data, run_rung
from seqcast.results import fresh_path, results_dir, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,43,44")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--only", default="", help="comma-separated rung numbers (1-based)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    chosen = [int(i) - 1 for i in args.only.split(",") if i] or range(len(RUNGS))

    data = ladder_data()
    rows = []
    for index in chosen:
        rung = RUNGS[index]
        runs = []
        for seed in seeds:
            clock = time.perf_counter()
            runs.append(run_rung(data, rung, seed, args.epochs))
            print(
                f"{rung.label} seed {seed}: {runs[-1]['valid_mae']:,.0f} riders, "
                f"{runs[-1]['epochs']} epochs, {time.perf_counter() - clock:.0f} s",
                flush=True,
            )
        maes = [r["valid_mae"] for r in runs]
        rows.append(
            {
                "rung": rung.label,
                "recipe": rung.recipe_text,
                "model": rung.model,
                "lr": rung.lr,
                "book": rung.book,
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
        lines.append(
            f"| {r['rung']} | {r['recipe']} | {book} | {r['mean']:,.0f} ({r['min']:,.0f}-"
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
