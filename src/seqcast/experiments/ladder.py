"""The ridership ladder of Géron's chapter 15: the book's models, one rung at a time.

rail / 1e6 (and bus / 1e6 where used), train 2016-01..2018-12, validation 2019-01..2019-05
(windows made from each part alone, as Keras' timeseries_dataset_from_array does), window
56, Huber loss, SGD with momentum 0.9 at the book's learning rate for each model, batch 32,
up to 500 epochs, early stopping on validation MAE with patience 50 (best weights kept).
The last rungs change the recipe (Adam on standardised inputs) and say so.

``seqcast benchmark --preset ridership`` runs every rung once (seed 42);
``benchmarks/ridership_ladder.py`` runs them over several seeds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.datasets import load_dataset
from seqcast.evaluation import metrics
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model

SCALE = 1e6  # the book divides riders by a million
TRAIN, VALID = ("2016-01", "2018-12"), ("2019-01", "2019-05")
MULTIVARIATE = {  # bus, rail and a one-hot of the next day's type -> rail
    "hidden_size": 32,
    "covariates": ("bus",),
    "known_ahead": ("day_type",),
    "strategy": "direct",
}
SEQ2SEQ = {
    "strategy": "seq2seq",
    "horizon": 14,
    "covariates": ("bus",),
    "known_ahead": ("day_type",),
}
TUNED = {"optimizer": "adam", "scaling": "standard"}


@dataclass(frozen=True)
class Rung:
    """One model of the ladder: its registry name and parameters, the book's learning
    rate and validation MAE (None where the book's run did not converge), and what it
    changes from the book's recipe (``optimizer``, ``scaling``, ``loss``)."""

    label: str
    model: str
    params: dict[str, Any]
    lr: float
    book: float | None
    recipe: dict[str, str] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return int(self.params.get("horizon", 1))

    @property
    def recipe_text(self) -> str:
        if not self.recipe:
            return "book (SGD, /1e6)"
        text = "Adam, standard scaling"
        return text + (f", {self.recipe['loss'].upper()} loss" if "loss" in self.recipe else "")


RUNGS: list[Rung] = [
    Rung("linear on 56 lags", "linear", {}, 0.02, 37_866),
    Rung("SimpleRNN(1)", "rnn", {"hidden_size": 1, "dense_head": False}, 0.02, 102_787),
    Rung("SimpleRNN(32)+Dense", "rnn", {"hidden_size": 32}, 0.05, 29_015),
    Rung("deep RNN 3x32", "rnn", {"hidden_size": 32, "num_layers": 3}, 0.01, 31_211),
    Rung("multivariate RNN (bus, rail, next-day type)", "rnn", MULTIVARIATE, 0.05, 22_062),
    Rung("14-ahead direct RNN", "rnn", {**MULTIVARIATE, "horizon": 14}, 0.02, 35_017),
    Rung("14-ahead seq2seq RNN", "rnn", {"hidden_size": 32, **SEQ2SEQ}, 0.1, 31_385),
    Rung("LN-RNN seq2seq", "lnrnn", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None),
    Rung("LSTM seq2seq", "lstm", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None),
    Rung("GRU seq2seq", "gru", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None),
    Rung("Conv1D+GRU seq2seq", "conv_gru", {"hidden_size": 32, **SEQ2SEQ}, 0.1, None),
    Rung("WaveNet seq2seq", "wavenet", SEQ2SEQ, 0.1, None),
    Rung("multivariate GRU(32), Adam", "gru", MULTIVARIATE, 3e-3, 22_062, TUNED),
    Rung("LN-RNN seq2seq, Adam", "lnrnn", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    Rung("LSTM seq2seq, Adam", "lstm", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    Rung("GRU seq2seq, Adam", "gru", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    Rung("Conv1D+GRU seq2seq, Adam", "conv_gru", {"hidden_size": 32, **SEQ2SEQ}, 1e-3, None, TUNED),
    Rung("WaveNet seq2seq, Adam", "wavenet", SEQ2SEQ, 1e-3, None, TUNED),
    Rung(
        "multivariate GRU(32), Adam, MAE loss",
        "gru",
        MULTIVARIATE,
        3e-3,
        22_062,
        {**TUNED, "loss": "mae"},
    ),
]


def ladder_data() -> pd.DataFrame:
    """Ridership's bus and rail in millions, and the day type, indexed by day."""
    data = load_dataset("ridership")[["bus", "rail", "day_type"]].copy()
    data[["bus", "rail"]] = data[["bus", "rail"]] / SCALE
    return data


def run_rung(data: pd.DataFrame, rung: Rung, seed: int, epochs: int = 500) -> dict[str, Any]:
    """Train ``rung`` on 2016-2018 with early stopping on 2019-01..05; its best validation
    MAE in riders, MAE per step ahead, epochs, median seconds per epoch and parameters."""
    model = create_model(
        rung.model,
        input_len=56,
        scaling=rung.recipe.get("scaling", "none"),
        norm="none",  # the book normalises nothing per window
        **rung.params,
        train={
            "optimizer": rung.recipe.get("optimizer", "sgd"),
            "momentum": 0.9,
            "lr": rung.lr,
            "loss": rung.recipe.get("loss", "huber"),
            "batch_size": 32,
            "epochs": epochs,
            "patience": 50,
            "seed": seed,
            "progress": False,
        },
    )
    assert isinstance(model, NeuralForecaster)
    valid = data.loc[VALID[0] : VALID[1]]
    model.fit(data.loc[TRAIN[0] : TRAIN[1]], "rail", valid=valid)
    record = model.trained_.history
    return {
        "valid_mae": min(record.valid_mae) * SCALE,
        "per_step_mae": per_step_mae(model, valid),
        "epochs": record.epochs,
        "best_epoch": record.best_epoch,
        "seconds_per_epoch": statistics.median(record.seconds),
        "parameters": sum(p.numel() for p in model.trained_.module.parameters()),
    }


def per_step_mae(model: NeuralForecaster, valid: pd.DataFrame) -> list[float]:
    """MAE in riders at each step +1..+H over the validation windows' last positions."""
    import torch

    windows = model.windows(valid)
    x, y = windows.batch(np.arange(len(windows)))  # (N, L, C), (N, S, H, K)
    with torch.no_grad():
        prediction = model.trained_.module(torch.from_numpy(x))[:, -1].reshape(y[:, -1].shape)
    units = float(model.trained_.channels.scale[0]) * SCALE  # the target's scaler, then the /1e6
    predicted, actual = prediction.numpy() * units, y[:, -1] * units  # (N, H, K) in riders
    return [round(metrics.mae(actual[:, h], predicted[:, h]), 1) for h in range(y.shape[2])]
