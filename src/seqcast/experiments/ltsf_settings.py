"""The published settings of the long-term forecasting papers, as ``seqcast ltsf --preset``.

``segrnn``: SegRNN's paper (w = 24, d = 512, GRU, PMF, channel ids, dropout 0.1, batch 64,
Adam at 3e-4 with the reference's schedule, 30 epochs, patience 5); ``segrnn-96``: its
README's settings for L = 96; ``dlinear``/``nlinear``: DLinear's ETTh1 scripts; ``none``:
MSE loss and early stopping on MSE, nothing else.
"""

from __future__ import annotations

import copy
from typing import Any

from seqcast.errors import SeqcastError

_SEGRNN_PAPER: dict[str, Any] = {
    "seg_len": 24,
    "hidden_size": 512,
    "cell": "gru",
    "decoder": "pmf",
    "channel_id": True,
    "dropout": 0.1,
    "norm": "last",
    "train": {
        "batch_size": 64,
        "optimizer": "adam",
        "lr": 3e-4,
        "lr_schedule": "segrnn",
        "epochs": 30,
        "patience": 5,
        "loss": "mse",
        "monitor": "mse",
    },
}
_LINEAR_PAPER: dict[str, Any] = {  # DLinear's ETTh1 scripts
    "norm": "none",
    "train": {
        "batch_size": 32,
        "optimizer": "adam",
        "lr": 5e-3,
        "lr_schedule": "halve",
        "epochs": 10,
        "patience": 3,
        "loss": "mse",
        "monitor": "mse",
    },
}
LTSF_SETTINGS: dict[str, dict[str, Any]] = {
    "segrnn": _SEGRNN_PAPER,
    "segrnn-96": {
        **_SEGRNN_PAPER,
        "dropout": 0.5,
        "train": {**_SEGRNN_PAPER["train"], "batch_size": 256, "lr": 1e-3, "patience": 10},
    },
    "dlinear": _LINEAR_PAPER,
    "nlinear": _LINEAR_PAPER,
    "none": {"norm": "none", "train": {"loss": "mse", "monitor": "mse"}},
}


def preset_for(model: str, lookback: int) -> str:
    """The preset ``auto`` picks: SegRNN's paper settings (its L = 96 ones when L = 96),
    DLinear's for dlinear and nlinear, else ``none`` (MSE loss, early stopping on MSE)."""
    if model == "segrnn":
        return "segrnn-96" if lookback == 96 else "segrnn"
    return model if model in LTSF_SETTINGS else "none"


def ltsf_params(
    model: str, lookback: int, horizon: int, preset: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    """The model's parameters: the preset, then ``overrides`` (``train`` merged key by key)."""
    if preset == "auto":
        preset = preset_for(model, lookback)
    if preset not in LTSF_SETTINGS:
        raise SeqcastError(
            f"unknown preset {preset!r}; choose auto or one of {', '.join(LTSF_SETTINGS)}"
        )
    params = copy.deepcopy(LTSF_SETTINGS[preset])
    train = {**params.pop("train", {}), **overrides.get("train", {})}
    params.update({k: v for k, v in overrides.items() if k != "train"})
    return {
        **params,
        "input_len": lookback,
        "horizon": horizon,
        "strategy": "direct",
        "scaling": "none",
        "train": train,
    }
