"""k-step-ahead analysis of a one-step model: how errors pile up when predictions are fed back.

Symbols: T steps of data, L the model's input length, K target columns.

For every origin t with L steps before it, a recursive forecast of max(k) steps is made
from the data up to t (one batched pass per step); its k-th step is the k-step-ahead
prediction of step t + k. The error per k is taken over every origin whose k-th step lies
inside the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.data.panel import refuse_panel
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.models.neural import NeuralForecaster
from seqcast.results import results_dir

DEFAULT_KS = (1, 4, 16, 64)


@dataclass
class KStep:
    """``predictions[k]``: the k-step-ahead predictions (a DataFrame indexed by the step
    predicted, one column per target); ``errors``: MSE and MAE per k (rows) and count."""

    predictions: dict[int, pd.DataFrame]
    errors: pd.DataFrame

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: kstep.csv (k, mse, mae, count), predictions.csv (a column
        per k and target) and kstep.png (the error against k)."""
        from seqcast.plots import plot_kstep

        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.errors.to_csv(tmp / "kstep.csv")
            pd.concat({f"k={k}": p for k, p in self.predictions.items()}, axis=1).to_csv(
                tmp / "predictions.csv"
            )
            plot_kstep(self.errors, tmp / "kstep.png")
        return folder


def kstep_errors(
    model: NeuralForecaster, data: pd.DataFrame, ks: Sequence[int] = DEFAULT_KS
) -> KStep:
    """k-step-ahead predictions and errors of a fitted recursive ``model`` over ``data``."""
    if not ks or min(ks) < 1:
        raise SeqcastError(f"k must be positive integers, got {list(ks)}")
    refuse_panel(data, "k-step analysis")
    if model.strategy != "recursive":
        raise SeqcastError(
            f"k-step analysis feeds a one-step model its own predictions; {model.name} uses "
            f"the {model.strategy} strategy"
        )
    targets = model.targets_
    horizon = max(ks)
    origins = np.arange(model.input_len - 1, len(data) - min(ks))
    if len(origins) == 0:
        raise SeqcastError(
            f"{len(data)} steps leave no origin with {model.input_len} steps before it"
        )
    # Forecasts may run past the data's end; the steps beyond it are simply not scored.
    forecasts = model.forecast_origins(data, origins, horizon)[..., 0]  # (O, max k, K)
    truth = data[targets].to_numpy(dtype=float)
    predictions, rows = {}, []
    for k in sorted(set(ks)):
        inside = origins + k < len(data)
        steps = origins[inside] + k
        predicted = forecasts[inside, k - 1]  # (O_k, K)
        predictions[k] = pd.DataFrame(predicted, index=data.index[steps], columns=targets)
        mse, mae = metrics.mse(truth[steps], predicted), metrics.mae(truth[steps], predicted)
        rows.append({"k": k, "mse": mse, "mae": mae, "count": int(inside.sum())})
    return KStep(predictions, pd.DataFrame(rows).set_index("k"))
