"""The seed experiments, each one call (``seqcast benchmark --preset NAME``).

- ``sine-mlp``: x = sin(0.01 t) + N(0, 0.2²), T = 1000; an MLP 4 -> 10 -> 1 (Xavier) on the
  first 600 lag pairs (τ = 4), batch 16, Adam lr 0.01, 5 epochs, MSE. Shows 1-step
  predictions tracking the data, a recursive forecast from t = 604 flattening out, and the
  k-step error growing with k.
- ``sine-lstm``: sin(2πt/40), 800 points, the last 40 held out; LSTM(1 -> 50) + Linear on
  windows of 40, SGD lr 0.01, batch 1, 10 epochs; the 40 held-out values forecast
  recursively.
- ``hello``: "hello" -> "ohlol" with an explicit RNNCell loop, the fused nn.RNN, and
  Embedding + RNN + Linear; the loop's outputs equal nn.RNN's for the same weights.
- ``ridership``: the book's ladder on Chicago rail ridership (``seqcast.experiments.ladder``), every
  rung once with seed 42: validation MAE in riders against the book's, and MAE per step
  ahead of the 14-ahead models. Minutes, not seconds: about 8 on two cores.

Each returns its figures (numbers to print and check) and writes its pictures into a folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.data.datasets import load_dataset
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.evaluation.kstep import kstep_errors
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model
from seqcast.results import json_ready, results_dir, write_json
from seqcast.training import seeded


@dataclass
class PresetResult:
    """``figures``: named numbers; ``tables``: named DataFrames; ``images``: caption -> PNG
    file name (inside the folder the preset wrote to)."""

    name: str
    description: str
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)

    @property
    def facts(self) -> dict[str, Any]:
        """The figures short enough to show (not the per-epoch training loss)."""
        return {k: v for k, v in self.figures.items() if k != "train_loss"}


def sine_mlp(folder: Path, seed: int = 0) -> PresetResult:
    from seqcast.plots import plot_forecasts, plot_kstep, plot_learning_curve

    data = load_dataset("sine")  # T = 1000
    tau, pairs = 4, 600
    model = create_model(
        "mlp",
        input_len=tau,
        hidden_size=10,
        scaling="none",
        norm="none",
        train={
            "batch_size": 16,
            "optimizer": "adam",
            "lr": 0.01,
            "epochs": 5,
            "loss": "mse",
            "valid_fraction": 0.0,
            "seed": seed,
        },
    )
    assert isinstance(model, NeuralForecaster)
    model.fit(data.iloc[: pairs + tau], "x")  # 600 (features, label) pairs
    analysis = kstep_errors(model, data, (1, 4, 16, 64))
    origin = pairs + tau  # the forecast starts at t = 604, the first step not trained on
    recursive = model.predict(len(data) - origin, history=data.iloc[:origin])["x"]
    tail = recursive.iloc[-100:]
    kstep_mse = dict(zip(analysis.predictions, analysis.errors["mse"].tolist(), strict=True))
    result = PresetResult(
        "sine-mlp",
        "MLP 4-10-1 on sin(0.01 t) + noise: 1-step, recursive and k-step predictions",
        figures={
            "one_step_mse": kstep_mse[1],
            "noise_variance": 0.04,
            "kstep_mse": kstep_mse,
            "recursive_last_100_std": float(tail.std()),
            "data_std": float(data["x"].std()),
            "train_loss": model.trained_.history.train_loss,
        },
        tables={"k-step errors": analysis.errors},
    )
    plot_forecasts(
        data["x"],
        {"1-step predictions": analysis.predictions[1]["x"], "recursive from t=604": recursive},
        folder / "sine_mlp_predictions.png",
        "sine + noise: data, 1-step predictions, recursive forecast",
    )
    plot_forecasts(
        data["x"],
        {f"{k}-step": analysis.predictions[k]["x"] for k in (1, 4, 16, 64)},
        folder / "sine_mlp_ksteps.png",
        "k-step-ahead predictions",
    )
    plot_kstep(analysis.errors, folder / "sine_mlp_kstep_error.png")
    plot_learning_curve(model.trained_.history.train_loss, [], folder / "sine_mlp_learning.png")
    result.images = {
        "data, 1-step predictions, the recursive forecast from t = 604": "sine_mlp_predictions.png",
        "k-step-ahead predictions, k = 1, 4, 16, 64": "sine_mlp_ksteps.png",
        "k-step error against k": "sine_mlp_kstep_error.png",
        "training loss per epoch": "sine_mlp_learning.png",
    }
    return result


def sine_lstm(folder: Path, seed: int = 42) -> PresetResult:
    from seqcast.plots import plot_forecasts, plot_learning_curve

    data = load_dataset("sine40")  # 800 points
    held_out, window = 40, 40
    model = create_model(
        "lstm",
        input_len=window,
        hidden_size=50,
        scaling="none",
        norm="none",
        train={
            "batch_size": 1,
            "optimizer": "sgd",
            "momentum": 0.0,
            "lr": 0.01,
            "epochs": 10,
            "loss": "mse",
            "valid_fraction": 0.0,
            "seed": seed,
        },
    )
    assert isinstance(model, NeuralForecaster)
    train = data.iloc[:-held_out]
    model.fit(train, "x")  # 760 - 40 = 720 windows
    forecast = model.predict(held_out)["x"]
    truth = data["x"].iloc[-held_out:]
    mse = metrics.mse(truth.to_numpy(), forecast.to_numpy())
    result = PresetResult(
        "sine-lstm",
        "LSTM(1->50) + Linear on sin(2πt/40): 40 held-out values forecast recursively",
        figures={"recursive_40_mse": mse, "train_loss": model.trained_.history.train_loss},
    )
    plot_forecasts(
        data["x"].iloc[-160:],
        {"recursive forecast": forecast},
        folder / "sine_lstm_forecast.png",
        "sin(2πt/40): the last 40 points forecast recursively",
    )
    plot_learning_curve(model.trained_.history.train_loss, [], folder / "sine_lstm_learning.png")
    result.images = {
        "the held-out 40 points and their recursive forecast": "sine_lstm_forecast.png",
        "training loss per epoch": "sine_lstm_learning.png",
    }
    return result


def hello(folder: Path, seed: int = 0) -> PresetResult:
    import torch

    from seqcast.networks.tokens import CellLoopRNN, TokenRNN, encode, train_tokens

    vocabulary = ["h", "e", "l", "o"]
    x, y = encode("hello", vocabulary), encode("ohlol", vocabulary)
    with seeded(seed):
        loop = CellLoopRNN(4)
        fused = TokenRNN(4, 4, head=False)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):  # the same weights
        getattr(fused.rnn, f"{name}_l0").data.copy_(getattr(loop.cell, name).data)
    tokens = torch.tensor([x])
    with torch.no_grad():
        equal = bool(torch.allclose(loop(tokens), fused(tokens), atol=1e-6))
    with seeded(seed):
        embedded = TokenRNN(4, 8, num_layers=2, embedding=10)
        runs = {
            "RNNCell loop": train_tokens(loop, x, y, lr=0.1, epochs=100),
            "nn.RNN": train_tokens(TokenRNN(4, 4, head=False), x, y, lr=0.1, epochs=100),
            "Embedding + RNN + Linear": train_tokens(embedded, x, y, lr=0.05, epochs=100),
        }
    with torch.no_grad():
        predicted = "".join(vocabulary[i] for i in embedded(tokens)[0].argmax(-1).tolist())
    table = pd.DataFrame(
        {
            "final accuracy": [r.accuracy[-1] for r in runs.values()],
            "epochs to 100 %": [r.epochs_to_perfect for r in runs.values()],
            "final loss": [r.loss[-1] for r in runs.values()],
        },
        index=list(runs),
    )
    return PresetResult(
        "hello",
        '"hello" -> "ohlol": an RNNCell loop, nn.RNN, and Embedding + RNN + Linear',
        figures={
            "loop_equals_fused": equal,
            "accuracy": {k: r.accuracy[-1] for k, r in runs.items()},
            "epochs_to_perfect": {k: r.epochs_to_perfect for k, r in runs.items()},
            "embedding_model_says": predicted,
        },
        tables={"training": table},
    )


def ridership(
    folder: Path, seed: int = 42, epochs: int = 500, only: Sequence[int] | None = None
) -> PresetResult:
    """Every rung of the ladder (or the 1-based rung numbers in ``only``) once."""
    from seqcast.experiments.ladder import RUNGS, ladder_data, run_rung
    from seqcast.plots import plot_per_horizon

    wrong = [i for i in only or () if not 1 <= i <= len(RUNGS)]
    if wrong:
        raise SeqcastError(f"the ladder has rungs 1 to {len(RUNGS)}; there is no rung {wrong[0]}")
    data = ladder_data()
    chosen = [RUNGS[i - 1] for i in only] if only else RUNGS
    rows, per_step = [], {}
    for rung in chosen:
        run = run_rung(data, rung, seed, epochs)
        rows.append(
            {
                "model": rung.label,
                "recipe": rung.recipe_text,
                "book MAE": rung.book,
                "seqcast MAE": run["valid_mae"],
                "parameters": run["parameters"],
                "epochs": run["epochs"],
                "best epoch": run["best_epoch"],
                "s/epoch": run["seconds_per_epoch"],
            }
        )
        if len(run["per_step_mae"]) > 1:
            per_step[rung.label] = run["per_step_mae"]
    ladder = pd.DataFrame(rows).set_index("model")
    one_step = [r["seqcast MAE"] for r, rung in zip(rows, chosen, strict=True) if rung.horizon == 1]
    result = PresetResult(
        "ridership",
        "the ridership ladder (Géron, chapter 15): validation MAE in riders, 2019-01..05",
        figures={
            "seed": seed,
            "validation_mae": dict(zip(ladder.index, ladder["seqcast MAE"], strict=True)),
            "best_one_step_mae": min(one_step, default=None),
        },
        tables={"ladder": ladder},
    )
    if per_step:
        steps = pd.DataFrame(per_step, index=range(1, 15))
        steps.index.name = "step"
        result.tables["MAE per step ahead (riders)"] = steps
        plot_per_horizon(steps, folder / "ridership_per_step.png", "MAE (riders)", bars=False)
        result.images = {"MAE per step ahead of the 14-ahead models": "ridership_per_step.png"}
    return result


PRESETS: dict[str, Callable[[Path], PresetResult]] = {
    "sine-mlp": sine_mlp,
    "sine-lstm": sine_lstm,
    "hello": hello,
    "ridership": ridership,
}


def find_preset(name: str) -> Callable[[Path], PresetResult]:
    """The preset ``name``; an unknown name is an error that lists the presets."""
    if name not in PRESETS:
        raise SeqcastError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def run_preset(name: str, folder: str | Path) -> PresetResult:
    """Run the preset ``name`` into a new ``folder`` (refused if it exists; it appears only
    when complete): its pictures, preset.json (figures and tables) and report.html."""
    from seqcast.report import write_report

    run = find_preset(name)  # before any folder is made
    folder = Path(folder)
    with results_dir(folder) as tmp:
        result = run(tmp)
        write_json(
            tmp / "preset.json",
            json_ready(
                {
                    "preset": name,
                    "description": result.description,
                    "figures": result.figures,
                    "tables": {
                        k: v.reset_index().to_dict("records") for k, v in result.tables.items()
                    },
                }
            ),
        )
        write_report(
            tmp / "report.html",
            f"seqcast preset {name}: {result.description}",
            result.facts,
            {
                **{caption: tmp / file for caption, file in result.images.items()},
                **result.tables,
            },
        )
    return result
