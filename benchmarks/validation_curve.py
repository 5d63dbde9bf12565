"""What a recursive model's validation watches, epoch by epoch, on M4 Hourly.

Trains one network on M4 Hourly's validation split (the train file minus its last 48
steps per series) for every epoch of ``train.epochs`` (patience set past it), and after
each epoch records three scores of the network as it is then:

- ``valid_mae``: the score its training validated on (teacher forcing, or with
  ``--set train.valid_forecast=true`` its own forecasts of the held-out steps);
- ``inner_owa``: the OWA of its forecasts of the split's last 48 steps from before them
  (the steps ``train.valid_forecast`` would forecast, with ``train.valid_steps=48``);
- ``outer_owa``: the OWA of its forecasts of the 48 steps after the split, the validation
  score of ``benchmarks/m4_validation.py``.

A validation score worth early-stopping on follows ``outer_owa``. Run by hand (needs
Hourly-train.csv and Hourly-test.csv in $SEQCAST_DATA_DIR):

    SEQCAST_DATA_DIR=../shared/data python benchmarks/validation_curve.py --model deepar

Writes validation_curve.json and validation_curve.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast import create_model, load_dataset
from seqcast.data.panel import drop_last, iter_series
from seqcast.evaluation.benchmark import default_models
from seqcast.evaluation.metrics import mase, owa, smape
from seqcast.results import fresh_path, results_dir, write_json

HORIZON, SEASON = 48, 24


class Scorer:
    """OWA of forecasts of the ``HORIZON`` steps after ``history`` (a panel), against the
    values ``truth`` holds there, relative to Naive2's."""

    def __init__(self, history: pd.DataFrame, truth: pd.DataFrame) -> None:
        self.history = history
        self.past = {key: frame["y"].to_numpy() for key, frame in iter_series(history)}
        self.actual = {
            key: frame["y"].to_numpy()[len(self.past[key]) : len(self.past[key]) + HORIZON]
            for key, frame in iter_series(truth)
        }
        naive2 = create_model("naive2", season=SEASON).fit(history, "y")
        self.reference = self.errors(naive2.predict(HORIZON))

    def errors(self, forecast: pd.DataFrame) -> tuple[float, float]:
        """Mean sMAPE and MASE over the series."""
        smapes, mases = [], []
        for key, frame in iter_series(forecast):
            predicted = frame["y"].to_numpy()
            smapes.append(smape(self.actual[key], predicted))
            mases.append(mase(self.actual[key], predicted, self.past[key], SEASON))
        return float(np.mean(smapes)), float(np.nanmean(mases))

    def owa(self, model: Any) -> float:
        """``model``'s OWA from ``history``."""
        return owa(*self.errors(model.predict(HORIZON, history=self.history)), *self.reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="deepar")
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    full = load_dataset("m4-hourly")
    split = drop_last(full, HORIZON)
    inner, outer = Scorer(drop_last(split, HORIZON), split), Scorer(split, full)
    settings = [*args.settings]
    model = default_models(SEASON, HORIZON, [args.model], panel=True, settings=settings)[0]
    model.train.patience = model.train.epochs  # every epoch, whatever validation says
    rows: list[dict[str, Any]] = []

    def record(history: Any) -> None:
        rows.append(
            {
                "epoch": len(history.valid_mae),
                "valid_mae": history.valid_mae[-1],
                "inner_owa": inner.owa(model),
                "outer_owa": outer.owa(model),
            }
        )
        print(
            f"epoch {rows[-1]['epoch']}: valid MAE {rows[-1]['valid_mae']:.4f}, inner OWA "
            f"{rows[-1]['inner_owa']:.4f}, outer OWA {rows[-1]['outer_owa']:.4f}",
            flush=True,
        )

    clock = time.perf_counter()
    model.fit(split, "y", on_epoch=record)
    frame = pd.DataFrame(rows)
    follows = {
        column: float(np.corrcoef(frame[column], frame["outer_owa"])[0, 1])
        for column in ("valid_mae", "inner_owa")
    }
    payload = {
        "model": model.name,
        "params": model.changed_params(),
        "settings": settings,
        "machine": platform.processor() or platform.machine(),
        "seconds": time.perf_counter() - clock,
        "correlation_with_outer_owa": follows,
        "rows": rows,
    }
    table = ["| epoch | valid MAE | inner OWA | outer OWA |", "| --- | --- | --- | --- |"]
    table += [
        f"| {r['epoch']} | {r['valid_mae']:.4f} | {r['inner_owa']:.4f} | {r['outer_owa']:.4f} |"
        for r in rows
    ]
    table.append(
        f"| correlation with outer OWA | {follows['valid_mae']:.3f} | "
        f"{follows['inner_owa']:.3f} | |"
    )
    folder = fresh_path(args.out, "validation-curve")
    with results_dir(folder) as tmp:
        write_json(tmp / "validation_curve.json", payload)
        (tmp / "validation_curve.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
