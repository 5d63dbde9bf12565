"""The rules a neural forecaster's settings must keep, checked when it is made: each broken
one is a ``SeqcastError`` that names the model, the setting and what to set instead."""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

from seqcast.errors import SeqcastError
from seqcast.networks import NORMS

Strategy = Literal["recursive", "direct", "seq2seq"]
Scaling = Literal["standard", "minmax", "none", "positive", "log", "log_or_standard"]


def check_settings(model: Any) -> None:
    """Raise on the first setting of ``model`` (a ``NeuralForecaster``) that is unknown or
    clashes with another."""
    if model.strategy not in ("recursive", "direct", "seq2seq"):
        raise SeqcastError(
            f"{model.name}: strategy must be recursive, direct or seq2seq, got {model.strategy!r}"
        )
    if model.strategy == "recursive" and model.horizon != 1:
        raise SeqcastError(
            f"{model.name}: the recursive strategy trains a one-step model; "
            "leave horizon at 1 (forecast any number of steps)"
        )
    if model.strategy == "seq2seq" and not model.sequence_output:
        raise SeqcastError(
            f"{model.name} gives one output per window; use the recursive or direct strategy"
        )
    if model.scaling not in get_args(Scaling):
        raise SeqcastError(f"{model.name}: scaling must be one of {', '.join(get_args(Scaling))}")
    if not (math.isfinite(model.log_offset) and model.log_offset >= 0):
        raise SeqcastError(f"{model.name}: log_offset must be 0 or more, got {model.log_offset}")
    if model.log_offset and not model.scaling.startswith("log"):
        raise SeqcastError(
            f"{model.name}: log_offset shifts the targets before their logs; set scaling=log "
            f"or log_or_standard, or log_offset=0 (scaling is {model.scaling})"
        )
    if model.norm not in NORMS:
        raise SeqcastError(f"{model.name}: norm must be one of {', '.join(NORMS)}")
    if model.id_embedding < 0:
        raise SeqcastError(f"{model.name}: id_embedding must be 0 or more")
    if model.ensemble < 1:
        raise SeqcastError(f"{model.name}: ensemble must be at least 1")
    if model.train.valid_forecast and model.strategy != "recursive":
        raise SeqcastError(
            f"{model.name}: train.valid_forecast validates a recursive model's forecasts; "
            f"a {model.strategy} model's validation already scores its forecasts"
        )
    if model.train.loss == "quantile" and model.strategy == "recursive":
        raise SeqcastError(
            f"{model.name}: a recursive forecast samples paths from a distribution; use "
            "train.loss normal, student_t or negbin, or the direct strategy for quantiles"
        )
    if model.train.loss == "negbin" and (
        model.scaling != "none" or model.norm not in ("mean", "none")
    ):
        raise SeqcastError(
            f"{model.name}: a negbin (count) loss needs values that are never shifted: "
            "set scaling=none and norm=mean (or none)"
        )
