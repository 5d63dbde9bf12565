"""How a neural forecaster trains: input channels, windows, the validation split, and the
training loop (``seqcast.training``) over one network or an ensemble of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from seqcast.data.panel import check_lengths, is_panel, series_lengths
from seqcast.data.windows import Windows
from seqcast.errors import SeqcastError
from seqcast.models.channels import Channels
from seqcast.training import History, NonFiniteLoss, TrainState

if TYPE_CHECKING:
    from seqcast.models.neural import NeuralForecaster


def fit_network(
    model: NeuralForecaster,
    data: pd.DataFrame,
    *,
    valid: pd.DataFrame | None,
    resume: str | Path | None,
    interrupt_checkpoint: str | Path | None,
    on_epoch: Callable[[History], None] | None,
) -> None:
    """Train ``model``'s network on ``data`` (see ``NeuralForecaster.fit``); sets its
    ``channels_``, ``n_inputs_``, ``module_``, ``train_state_`` and ``training_``."""
    from seqcast.training import matmul_precision, seeded, train

    numeric = list(dict.fromkeys([*model.targets_, *model.covariates]))
    panel = is_panel(data)
    if panel:  # every series must give at least one window
        check_lengths(data, model.input_len + model.network_horizon, model.name)
    # On a panel the per-window normalisation replaces the global scaler, whose one
    # shift for every series would break its proportionality (only norm none keeps it).
    scaling = "none" if panel and model.norm != "none" else model.scaling
    model.channels_ = Channels.learn(
        data, numeric, model.known_ahead, model.static, scaling, model.id_embedding > 0
    )
    train_windows = model.windows(data)
    if len(train_windows) < 1:
        raise SeqcastError(
            f"{model.name}: the data is too short for one window of {model.input_len} "
            f"steps and {model.network_horizon} targets"
        )
    valid_windows: Windows | None = None
    if valid is not None:
        valid_windows = model.windows(valid)
        if len(valid_windows) < 1:
            raise SeqcastError(
                f"{model.name}: the validation part has {len(valid)} steps, too few for one "
                f"window of {model.input_len} steps and {model.network_horizon} targets"
            )
    elif model.train.valid_fraction > 0:
        ends = np.cumsum(series_lengths(data)) if is_panel(data) else None
        train_windows, valid_windows = hold_out(model, train_windows, ends)
    model.n_inputs_ = train_windows.values.shape[1]
    if resume is not None and model.ensemble > 1:
        raise SeqcastError(f"{model.name}: an ensemble cannot resume training; fit it again")
    resumed = model._resume_state(resume) if resume is not None else None

    def save_interrupted(state: TrainState) -> None:
        if interrupt_checkpoint is not None and model.ensemble == 1:
            model._write_checkpoint(interrupt_checkpoint, state, state.best_weights, None)

    try:
        with seeded(model.train.seed), matmul_precision(model.train.precision):
            model.module_ = model.network(model.n_inputs_, len(model.targets_))
            members = model.module_.members if model.ensemble > 1 else [model.module_]
            states = [
                train(
                    member,
                    train_windows,
                    valid_windows,
                    dataclasses.replace(model.train, seed=model.train.seed + i),
                    model.channels_.scale[: len(model.targets_)],
                    per_window=model.train.loss_scale == "window"
                    or (model.train.loss_scale == "auto" and panel),
                    resume=resumed,
                    on_epoch=on_epoch,
                    on_interrupt=save_interrupted,
                    head=model.head,
                )
                for i, member in enumerate(members)
            ]
    except NonFiniteLoss:
        model.training_ = History(stopped="non-finite loss")
        raise
    # An ensemble keeps member 0's history and no state to resume from.
    model.train_state_ = states[0] if model.ensemble == 1 else None
    model.training_ = states[0].history


def hold_out(
    model: NeuralForecaster, windows: Windows, ends: np.ndarray | None
) -> tuple[Windows, Windows | None]:
    """Training and validation windows, split by time (see ``fit``); ``ends`` (N,) is
    the row after each series of a panel. Too few windows to spare: no validation."""
    if windows.series is None or ends is None:
        cut = round(len(windows) * (1 - model.train.valid_fraction))
        if not 0 < cut < len(windows):  # too few windows to set any aside
            return windows, None
        return windows.take(slice(cut)), windows.take(slice(cut, None))
    held = model.train.valid_steps or model.horizon
    end = ends[windows.series]  # the row after each window's series
    first_target = windows.starts + model.input_len
    validating = first_target >= end - held
    training = first_target + model.network_horizon <= end - held
    if not validating.any() or not training.any():
        return windows, None
    return windows.take(np.flatnonzero(training)), windows.take(np.flatnonzero(validating))
