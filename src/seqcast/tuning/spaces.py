"""The search spaces ``seqcast tune`` samples: each model's own ``search_space`` (beside its
``defaults_for``), an Optuna trial's choices as ``--set`` keys (``"train.lr"``), which the
configuration file takes as they are. A model without a search space is not tuned."""

from __future__ import annotations

from typing import Any

from seqcast.errors import SeqcastError
from seqcast.models.registry import list_models, model_class


def tunable_models() -> list[str]:
    """The registered models that have a search space (the neural ones)."""
    return [name for name in list_models() if model_class(name).tunable()]


def suggest(
    trial: Any, model: str, season: int, horizon: int, wide: bool = False
) -> dict[str, Any]:
    """Sample ``model``'s parameters on the Optuna ``trial``; dotted keys; ``wide``: the
    larger space of trials that train on a GPU."""
    if model not in tunable_models():
        raise SeqcastError(
            f"tune searches the neural models ({', '.join(tunable_models())}); got {model!r}"
        )
    return model_class(model).search_space(trial, season, horizon, wide=wide)
