"""Search spaces of the neural models: the ranges ``seqcast tune`` samples.

Each space is a function of an Optuna trial (define-by-run, so a choice can depend on an
earlier one: SegRNN's segment length must divide the input and the horizon), the data's
season ``s`` and the horizon ``h``. It returns the sampled parameters as dotted keys
(``"train.lr"``), which ``--set`` and the configuration file take as they are.

Every model samples its input length from {h, 2h, 4s, 7s} (at least 2 steps; a week of
hourly data at most 7 seasons), its learning rate log-uniformly from 3e-4 to 1e-2 and its
batch size from {128, 256, 512}; then its own shape:

- rnn, lstm, gru, lnrnn: hidden size {32, 64, 128}, 1 or 2 layers, dropout between layers
  0..0.3 (two layers only);
- mlp: hidden size {128, 256, 512, 1024}, 1 to 3 layers;
- conv_gru: filters {16, 32, 64}, hidden size {32, 64, 128};
- wavenet: filters {16, 32, 64};
- dlinear: moving-average kernel {13, 25, 49};
- segrnn: hidden size {64, 128, 256, 512}, dropout 0..0.5, segment length from the
  divisors of both the input and h among {s/2, s, 2s} (12 and 24 for hourly data);
- linear, nlinear: the common parameters only.

The ranges are sized for a CPU: a recurrent network of 256 units trained in batches of 64
took 180 to 230 s per epoch of 50,000 M4 Hourly windows on one core, ten times a 64-unit
one in batches of 256; pass larger values with ``--set`` to pin them.
"""

from __future__ import annotations

from typing import Any

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import list_models, model_class

RECURRENT = ("rnn", "lstm", "gru", "lnrnn")


def tunable_models() -> list[str]:
    """The registered neural models (the ones with a search space)."""
    return [name for name in list_models() if issubclass(model_class(name), NeuralForecaster)]


def input_lengths(season: int, horizon: int) -> list[int]:
    """The input lengths tried: {h, 2h, 4s, 7s}, each at least 2, without repeats."""
    return sorted({max(2, n) for n in (horizon, 2 * horizon, 4 * season, 7 * season)})


def suggest(trial: Any, model: str, season: int, horizon: int) -> dict[str, Any]:
    """Sample ``model``'s parameters on the Optuna ``trial``; dotted keys."""
    if model not in tunable_models():
        raise SeqcastError(
            f"tune searches the neural models ({', '.join(tunable_models())}); got {model!r}"
        )
    params: dict[str, Any] = {
        "input_len": trial.suggest_categorical("input_len", input_lengths(season, horizon)),
        "train.lr": trial.suggest_float("train.lr", 3e-4, 1e-2, log=True),
        "train.batch_size": trial.suggest_categorical("train.batch_size", [128, 256, 512]),
    }
    if model in RECURRENT:
        params["hidden_size"] = trial.suggest_categorical("hidden_size", [32, 64, 128])
        params["num_layers"] = trial.suggest_int("num_layers", 1, 2)
        if params["num_layers"] > 1:
            params["dropout"] = trial.suggest_float("dropout", 0.0, 0.3)
    elif model == "mlp":
        params["hidden_size"] = trial.suggest_categorical("hidden_size", [128, 256, 512, 1024])
        params["num_layers"] = trial.suggest_int("num_layers", 1, 3)
    elif model == "conv_gru":
        params["filters"] = trial.suggest_categorical("filters", [16, 32, 64])
        params["hidden_size"] = trial.suggest_categorical("hidden_size", [32, 64, 128])
    elif model == "wavenet":
        params["filters"] = trial.suggest_categorical("filters", [16, 32, 64])
    elif model == "dlinear":
        params["kernel_size"] = trial.suggest_categorical("kernel_size", [13, 25, 49])
    elif model == "segrnn":
        params["hidden_size"] = trial.suggest_categorical("hidden_size", [64, 128, 256, 512])
        params["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        lengths = [
            n
            for n in (season // 2, season, 2 * season)
            if n >= 1 and params["input_len"] % n == 0 and horizon % n == 0
        ]
        if lengths:
            params["seg_len"] = trial.suggest_categorical(f"seg_len_{params['input_len']}", lengths)
    return params
