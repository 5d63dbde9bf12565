"""How a neural network is trained, as settings: ``TrainConfig`` (``--set train.KEY=VALUE``)
and the names of the losses, optimizers, schedules and precisions it takes."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal, get_args

from seqcast import devices
from seqcast.devices import Precision
from seqcast.errors import SeqcastError
from seqcast.parameters import check_fields

PointLoss = Literal["mse", "mae", "huber", "smape"]
DistributionLoss = Literal["quantile", "normal", "student_t", "negbin"]  # networks.heads' names
Loss = Literal[PointLoss, DistributionLoss]
POINT_LOSSES: tuple[str, ...] = get_args(PointLoss)
DISTRIBUTION_LOSSES: tuple[str, ...] = get_args(DistributionLoss)
Optimizer = Literal["sgd", "adam", "adamw"]
Monitor = Literal["mae", "mse"]
Schedule = Literal["constant", "halve", "segrnn", "cosine"]
LossScale = Literal["auto", "none", "window"]


@dataclass
class TrainConfig:
    """How a neural forecaster is trained (``--set train.KEY=VALUE`` on the CLI).

    valid_fraction : one series: the share of the last windows that validate (0: none).
    valid_steps : a panel: the last steps of every series whose windows validate (0: the
        model's horizon); ``valid_fraction`` 0 turns validation off here too.
    valid_forecast : a recursive model validates by forecasting: from the last row before
        each series' held-out stretch, and every ``valid_steps`` rows on through it, fed its
        own point forecasts for ``valid_steps`` steps (0: to the stretch's end) as
        ``predict`` is, scored as ``monitor`` says; instead of its one-step outputs on the
        held-out windows (teacher forcing), whose errors on M4 Hourly hardly follow those
        of its forecasts. A panel's stretch is ``valid_steps`` long: set it to the horizon.
    windows_per_epoch : 0 trains every epoch on every window; N > 0 on N windows drawn at
        random (without repeats) each epoch, for panels whose stride-1 windows are many and
        much alike.
    monitor : the validation metric early stopping watches, ``mae`` or ``mse``.
    lr_schedule : ``constant``; ``halve`` (x0.5 after every epoch, DLinear's); ``segrnn``
        (the SegRNN reference's: epoch 1 at lr/25, epochs 2-4 at lr, then x0.8 per epoch);
        ``cosine`` (from lr at epoch 1 down half a cosine, toward 0 after the last of
        ``epochs``: lr (1 + cos(pi (e - 1) / E)) / 2, so the last epochs take small steps).
    loss_scale : ``window`` divides each window's errors by the spread (standard deviation)
        of its target inputs, in the loss and in the validation score, so series of any size
        weigh the same; ``none`` leaves them in the data's units; ``auto``: ``window`` on a
        panel, ``none`` on one series.
    loss : a point forecast's ``mse``, ``mae``, ``huber`` or ``smape``; or a forecast
        distribution's (``seqcast.networks.heads``): ``quantile`` (the pinball loss of the
        ``quantiles``, which never cross), ``normal``, ``student_t`` or ``negbin`` (counts;
        needs scaling none and norm mean or none) by likelihood. These give the model
        intervals of its own (``predict_interval``).
    quantiles : the levels a ``quantile`` loss learns; 0.5 (the point forecast) among them.
    average_epochs : the weights kept are the mean of the weights after the
        ``average_epochs`` epochs with the best validation scores (the last ones without
        validation); 1 keeps the best epoch's alone. Averaging the weights along the run
        (Izmailov et al. 2018) steadies a network as an ensemble does, at no cost when it
        forecasts; Smyl's ES-RNN averaged its last epochs' forecasts.
    device : where the network trains and forecasts: ``auto`` (a CUDA GPU when torch sees
        one, else Apple's mps, else the CPU), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``. The
        training values go there once; a saved model forecasts wherever it is loaded.
    precision : ``fp32``; ``tf32`` (TensorFloat-32 matrix products on CUDA GPUs, and on CPUs
        whose oneDNN has it); or ``bf16``: on a GPU, the forward pass under bfloat16
        autocast, the loss and distribution heads in float32; on a CPU, oneDNN's float32
        matrix products with bfloat16 arithmetic (it pays on CPUs with AMX or AVX512-BF16).
        Both change results at about the third significant digit.
    """

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: Optimizer = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    loss: Loss = "mse"
    quantiles: tuple[float, ...] = (0.025, 0.1, 0.5, 0.9, 0.975)
    huber_delta: float = 1.0
    patience: int = 10
    average_epochs: int = 1
    clip_norm: float | None = None
    valid_fraction: float = 0.2
    valid_steps: int = 0
    windows_per_epoch: int = 0
    valid_forecast: bool = False
    seed: int = 0
    progress: bool = False
    monitor: Monitor = "mae"
    lr_schedule: Schedule = "constant"
    precision: Precision = "fp32"
    loss_scale: LossScale = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        check_fields(self, "train")
        try:
            devices.check_setting(self.device)
        except SeqcastError as error:
            raise SeqcastError(f"train: {error}") from None
        if not all(isinstance(q, numbers.Real) for q in self.quantiles):
            raise SeqcastError(f"train: quantiles must be numbers, got {self.quantiles!r}")
        self.quantiles = tuple(float(q) for q in self.quantiles)
        checks = [
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (0 < self.lr < math.inf, "lr must be a positive finite number"),
            (0 <= self.momentum < 1, "momentum must lie in [0, 1)"),
            (0 <= self.weight_decay < math.inf, "weight_decay must be 0 or more, and finite"),
            (0 < self.huber_delta < math.inf, "huber_delta must be a positive finite number"),
            (self.patience >= 1, "patience must be at least 1"),
            (self.average_epochs >= 1, "average_epochs must be at least 1"),
            (0 <= self.valid_fraction < 1, "valid_fraction must lie in [0, 1)"),
            (self.valid_steps >= 0, "valid_steps must be 0 or more"),
            (self.windows_per_epoch >= 0, "windows_per_epoch must be 0 or more"),
            (
                self.clip_norm is None or 0 < self.clip_norm < math.inf,
                "clip_norm must be a positive finite number",
            ),
            (self.optimizer in ("sgd", "adam", "adamw"), "optimizer must be sgd, adam or adamw"),
            (
                self.loss in (*POINT_LOSSES, *DISTRIBUTION_LOSSES),
                f"loss must be one of {', '.join((*POINT_LOSSES, *DISTRIBUTION_LOSSES))}",
            ),
            (
                all(0 < q < 1 for q in self.quantiles)
                and list(self.quantiles) == sorted(set(self.quantiles))
                and 0.5 in self.quantiles,
                "quantiles must ascend strictly inside (0, 1) and include 0.5",
            ),
            (self.monitor in ("mae", "mse"), "monitor must be mae or mse"),
            (
                self.lr_schedule in ("constant", "halve", "segrnn", "cosine"),
                "lr_schedule must be constant, halve, segrnn or cosine",
            ),
            (self.precision in ("fp32", "tf32", "bf16"), "precision must be fp32, tf32 or bf16"),
            (
                self.loss_scale in ("auto", "none", "window"),
                "loss_scale must be auto, none or window",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SeqcastError(f"train: {message}")


def make_train_config(values: dict[str, Any]) -> TrainConfig:
    """A TrainConfig from a dict, naming any unknown key."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = [k for k in values if k not in known]
    if unknown:
        raise SeqcastError(
            f"train has no parameter {unknown[0]!r}; its parameters are: {', '.join(sorted(known))}"
        )
    return TrainConfig(**values)
