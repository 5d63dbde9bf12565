"""The training loop: plain PyTorch, a few hundred lines.

Symbols: B batch, L input length, C input channels, S output positions per window (1 for a
forecast from the window's end, L for sequence-to-sequence), H horizon, K target columns.

``train`` fits an ``nn.Module`` mapping inputs (B, L, C) to outputs (B, S, H·K) on window
batches, with early stopping on validation MAE (restoring the best weights), gradient
clipping, a NaN/inf guard, seeded shuffling and an optional progress bar.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import math
import numbers
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from seqcast.data.windows import Windows
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.parameters import check_fields
from seqcast.progress import Progress

if TYPE_CHECKING:  # torch is imported where training happens, not when seqcast is
    import torch
    from torch import nn

    from seqcast.networks.heads import Head

PointLoss = Literal["mse", "mae", "huber", "smape"]
DistributionLoss = Literal["quantile", "normal", "student_t", "negbin"]  # networks.heads' names
Loss = Literal[PointLoss, DistributionLoss]
POINT_LOSSES: tuple[str, ...] = get_args(PointLoss)
DISTRIBUTION_LOSSES: tuple[str, ...] = get_args(DistributionLoss)
Optimizer = Literal["sgd", "adam", "adamw"]
Monitor = Literal["mae", "mse"]
Schedule = Literal["constant", "halve", "segrnn"]
Precision = Literal["fp32", "bf16"]
LossScale = Literal["auto", "none", "window"]


@dataclass
class TrainConfig:
    """How a neural forecaster is trained (``--set train.KEY=VALUE`` on the CLI).

    valid_fraction : one series: the share of the last windows that validate (0: none).
    valid_steps : a panel: the last steps of every series whose windows validate (0: the
        model's horizon); ``valid_fraction`` 0 turns validation off here too.
    windows_per_epoch : 0 trains every epoch on every window; N > 0 on N windows drawn at
        random (without repeats) each epoch, for panels whose stride-1 windows are many and
        much alike.
    monitor : the validation metric early stopping watches, ``mae`` or ``mse``.
    lr_schedule : ``constant``; ``halve`` (x0.5 after every epoch, DLinear's); ``segrnn``
        (the SegRNN reference's: epoch 1 at lr/25, epochs 2-4 at lr, then x0.8 per epoch).
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
    precision : ``fp32``, or ``bf16`` to let oneDNN run float32 matrix products with
        bfloat16 arithmetic (float32 in and out, like TF32 on GPUs); it pays on CPUs with
        AMX or AVX512-BF16 and changes results at about the third significant digit.
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
    clip_norm: float | None = None
    valid_fraction: float = 0.2
    valid_steps: int = 0
    windows_per_epoch: int = 0
    seed: int = 0
    progress: bool = False
    monitor: Monitor = "mae"
    lr_schedule: Schedule = "constant"
    precision: Precision = "fp32"
    loss_scale: LossScale = "auto"

    def __post_init__(self) -> None:
        check_fields(self, "train")
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
                self.lr_schedule in ("constant", "halve", "segrnn"),
                "lr_schedule must be constant, halve or segrnn",
            ),
            (self.precision in ("fp32", "bf16"), "precision must be fp32 or bf16"),
            (
                self.loss_scale in ("auto", "none", "window"),
                "loss_scale must be auto, none or window",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SeqcastError(f"train: {message}")


@dataclass
class History:
    """Per-epoch records of a training run."""

    train_loss: list[float] = field(default_factory=list)
    valid_mae: list[float] = field(default_factory=list)
    valid_mse: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # whole epoch, validation included
    train_seconds: list[float] = field(default_factory=list)  # the training batches alone
    best_epoch: int = 0
    stopped: str = ""

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> History:
        """The inverse of ``to_dict`` (as a checkpoint stores it; fields it lacks are empty)."""
        return cls(**{f.name: record[f.name] for f in dataclasses.fields(cls) if f.name in record})


class NonFiniteLoss(SeqcastError):
    """The loss became NaN or inf; the module holds the best weights seen before.
    ``kept`` is what the caller kept of the run (a forecaster's trained network)."""

    kept: Any = None


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Inside the block torch's default generator (weight initialisation, dropout) starts from
    ``seed``, so CPU runs repeat bit for bit; afterwards it is back where the caller left it:
    a fit does not reseed the user's generators."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def matmul_precision(precision: Precision) -> Iterator[None]:
    """Run float32 CPU matrix products at ``precision`` inside the block (see TrainConfig).

    oneDNN reads this setting process-wide, so only training uses it, for as long as it runs;
    forecasts always multiply in float32."""
    import torch

    matmul = torch.backends.mkldnn.matmul  # type: ignore[attr-defined]  # not in torch's stubs
    before = matmul.fp32_precision
    matmul.fp32_precision = "bf16" if precision == "bf16" else "ieee"
    try:
        yield
    finally:
        matmul.fp32_precision = before


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate of ``epoch`` (from 1) under ``config.lr_schedule``."""
    if config.lr_schedule == "halve":
        return config.lr * 0.5 ** (epoch - 1)
    if config.lr_schedule == "segrnn":
        if epoch == 1:
            return config.lr / 25  # the reference builds a OneCycleLR it never steps
        return config.lr * 0.8 ** max(epoch - 4, 0)
    return config.lr


@dataclass
class TrainState:
    """Everything training needs to go on after a completed epoch, bit for bit: the module's
    and the optimizer's state then, the best weights so far, the history, and the two random
    generators (the batch shuffle's, and torch's default one, which dropout draws from)."""

    epoch: int
    weights: dict[str, Any]
    optimizer: dict[str, Any]
    best_weights: dict[str, Any]
    history: History
    shuffle_rng: torch.Tensor
    torch_rng: torch.Tensor

    def to_dict(self) -> dict[str, Any]:
        """Checkpoint-safe plain data (tensors, numbers, lists, dicts), not copied."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**fields, "history": self.history.to_dict()}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> TrainState:
        return cls(**{**record, "history": History.from_dict(record["history"])})


def train(
    module: nn.Module,
    windows: Windows,
    valid: Windows | None,
    config: TrainConfig,
    target_scale: np.ndarray,
    *,
    per_window: bool = False,
    resume: TrainState | None = None,
    on_epoch: Callable[[History], None] | None = None,
    on_interrupt: Callable[[TrainState], None] | None = None,
    head: Head | None = None,
) -> TrainState:
    """Fit ``module`` on ``windows``; stop early on ``valid`` MAE or MSE (original units).

    ``target_scale`` (K,) turns scaled errors back into the targets' units; ``per_window``
    divides every window's errors by its spread instead (``loss_scale`` window). Returns the state
    after the last epoch (its history says why training stopped); the module holds the best
    weights. ``resume`` continues from a saved state exactly as the run would have gone on.
    ``on_epoch`` sees the history after each epoch. Ctrl-C (KeyboardInterrupt, also when
    raised by ``on_epoch``) hands ``on_interrupt`` the state of the last completed epoch,
    then re-raises. With a probabilistic ``head`` the module outputs its P parameters per
    value, (B, S, H·P·K), ``config.loss`` scores them, and validation scores their point
    forecast.
    """
    import torch

    optimizer = _optimizer(module, config)
    generator = torch.Generator().manual_seed(config.seed)
    if resume is not None:
        module.load_state_dict(resume.weights)
        optimizer.load_state_dict(resume.optimizer)
        generator.set_state(resume.shuffle_rng)
        torch.set_rng_state(resume.torch_rng)
        history = copy.deepcopy(resume.history)
        best_state = copy.deepcopy(resume.best_weights)
    else:
        history, best_state = History(), copy.deepcopy(module.state_dict())
    history.stopped = ""
    state = _snapshot(module, optimizer, best_state, history, generator)
    point_loss = _loss(config) if head is None else None
    loss = functools.partial(batch_loss, loss_fn=point_loss, head=head, per_window=per_window)
    monitored = history.valid_mse if config.monitor == "mse" else history.valid_mae
    best_score = min(monitored, default=math.inf)
    progress = Progress(config.epochs, "epoch") if config.progress else None
    try:
        for epoch in range(history.epochs + 1, config.epochs + 1):
            clock = time.perf_counter()
            try:
                mean_loss = train_epoch(module, optimizer, windows, config, epoch, generator, loss)
            except NonFiniteLoss as error:
                module.load_state_dict(best_state)
                history.stopped = f"non-finite loss: {error}"
                raise NonFiniteLoss(
                    f"{error}; the best weights so far (epoch {history.best_epoch}) are kept. "
                    "Lower train.lr or set train.clip_norm"
                ) from None
            history.train_seconds.append(time.perf_counter() - clock)
            mae, mse = (
                evaluate(module, valid, target_scale, per_window, head)
                if valid
                else (math.nan, math.nan)
            )
            history.train_loss.append(mean_loss)
            history.valid_mae.append(mae)
            history.valid_mse.append(mse)
            history.seconds.append(time.perf_counter() - clock)
            score = mse if config.monitor == "mse" else mae
            if valid is None or score < best_score:
                best_score, history.best_epoch = score, epoch
                best_state = copy.deepcopy(module.state_dict())
            history.stopped = _why_stop(history, config, epoch, valid is not None)
            state = _snapshot(module, optimizer, best_state, history, generator)
            if progress is not None:
                progress.advance(
                    epoch,
                    f"loss {mean_loss:.4g}, valid {config.monitor.upper()} {score:,.4g}, "
                    f"{history.seconds[-1]:.2f} s",
                )
            if on_epoch is not None:
                on_epoch(history)
            if history.stopped:
                break
    except KeyboardInterrupt:
        state.history.stopped = "interrupted"
        if on_interrupt is not None:
            on_interrupt(state)
        raise
    finally:
        if progress is not None:
            progress.close()
    module.load_state_dict(best_state)
    module.eval()
    return state


def train_epoch(
    module: nn.Module,
    optimizer: Any,
    windows: Windows,
    config: TrainConfig,
    epoch: int,
    generator: torch.Generator,
    loss: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """One epoch at ``epoch``'s learning rate over ``windows`` in an order drawn from
    ``generator`` (``config.windows_per_epoch`` of them, or all), one optimizer step per
    batch of ``loss``; returns the mean loss. A NaN or inf loss raises ``NonFiniteLoss``
    naming the epoch and batch, before its step."""
    import torch
    from torch import nn

    for group in optimizer.param_groups:
        group["lr"] = learning_rate(config, epoch)
    module.train()
    total, count = 0.0, 0
    order = torch.randperm(len(windows), generator=generator)
    if 0 < config.windows_per_epoch < len(windows):
        order = order[: config.windows_per_epoch]
    for b, index in enumerate(order.split(config.batch_size), start=1):
        x, y = _tensors(windows.batch(index.numpy()))  # (B, L, C), (B, S, H, K)
        value = loss(module, x, y)
        if not torch.isfinite(value):
            raise NonFiniteLoss(
                f"the training loss became {value.item()} at epoch {epoch}, batch {b}"
            )
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        if config.clip_norm is not None:
            nn.utils.clip_grad_norm_(module.parameters(), config.clip_norm)
        optimizer.step()
        total += value.item() * len(index)
        count += len(index)
    return total / count


def batch_loss(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss_fn: Any,
    head: Head | None,
    per_window: bool,
) -> torch.Tensor:
    """The loss of ``module``'s outputs for inputs x (B, L, C) against targets y (B, S, H, K):
    a point loss ``loss_fn`` of its last S outputs (B, S', H·K), or with a ``head`` the
    head's loss of its parameters (B, S', H·P·K); ``per_window`` first divides both by each
    window's spread."""
    out = module(x)  # (B, S', H*K), or (B, S', H*P*K) with a head
    if head is not None:
        return _head_loss(head, out, x, y, per_window)
    prediction = out[:, -y.shape[1] :].reshape(y.shape)
    if per_window:
        spread = window_spread(x, y.shape[-1])[:, :, None]  # (B, 1, 1, K)
        prediction, y = prediction / spread, y / spread
    return loss_fn(prediction, y)


def _why_stop(history: History, config: TrainConfig, epoch: int, validated: bool) -> str:
    """Why training stops after ``epoch``, or "" when it goes on."""
    if validated and epoch - history.best_epoch >= config.patience:
        return f"no better validation {config.monitor.upper()} for {config.patience} epochs"
    if epoch == config.epochs:
        return f"reached {config.epochs} epochs"
    return ""


def _snapshot(
    module: nn.Module,
    optimizer: Any,
    best_state: dict[str, Any],
    history: History,
    generator: torch.Generator,
) -> TrainState:
    """A copy of the training state now (it must not change as training goes on)."""
    import torch

    return TrainState(
        epoch=history.epochs,
        weights=copy.deepcopy(module.state_dict()),
        optimizer=copy.deepcopy(optimizer.state_dict()),
        best_weights=best_state,  # replaced, never changed in place, by the loop
        history=copy.deepcopy(history),
        shuffle_rng=generator.get_state(),
        torch_rng=torch.get_rng_state(),
    )


def evaluate(
    module: nn.Module,
    windows: Windows,
    target_scale: np.ndarray,
    per_window: bool = False,
    head: Head | None = None,
) -> tuple[float, float]:
    """MAE and MSE in the targets' units (``target_scale`` (K,) undoes the scaling), or
    with ``per_window`` in units of each window's spread, over every window's last output
    position and all H steps and K targets (none is dropped); with a ``head``, of its
    point forecasts."""
    import torch

    module.eval()
    absolute, squared = 0.0, 0.0
    with torch.no_grad():
        everything = np.arange(len(windows))
        for index in np.split(everything, range(256, len(windows), 256)):
            x, y = windows.batch(index)
            out = module(torch.from_numpy(x))[:, -1]
            if head is None:
                prediction = out.reshape(y[:, -1].shape)  # (B, H, K)
            else:
                batch, horizon, k = y[:, -1].shape
                prediction = head.point(out.reshape(batch, horizon, head.params, k))
            units = (
                1 / window_spread(torch.from_numpy(x), y.shape[-1]).numpy()
                if per_window
                else target_scale
            )  # (B, 1, K) or (K,)
            actual, predicted = y[:, -1] * units, prediction.numpy() * units
            absolute += metrics.mae(actual, predicted) * len(index)  # every window has H·K
            squared += metrics.mse(actual, predicted) * len(index)
    return absolute / len(windows), squared / len(windows)


def _head_loss(
    head: Head, out: torch.Tensor, x: torch.Tensor, y: torch.Tensor, per_window: bool
) -> torch.Tensor:
    """The head's loss of outputs (B, S', H·P·K) against y (B, S, H, K); ``per_window``
    first divides both by each window's spread (not for a count head: it cannot shift or
    stretch its values)."""
    from seqcast.networks.heads import rescale

    batch, positions, horizon, k = y.shape
    params = out[:, -positions:].reshape(batch, positions, horizon, head.params, k)
    if per_window and head.shifts:
        spread = window_spread(x, k)[:, :, None]  # (B, 1, 1, K)
        params = rescale(head, params, 0.0, 1 / spread)
        y = y / spread
    return head.loss(params, y)


def window_spread(x: torch.Tensor, k: int, eps: float = 1e-5) -> torch.Tensor:
    """(B, 1, K) the standard deviation of each window's K target inputs (its first K
    channels), floored as RevIN floors it: √(var + eps)."""
    import torch

    return torch.sqrt(x[..., :k].var(dim=1, keepdim=True, unbiased=False) + eps)


def _tensors(arrays: tuple[np.ndarray, ...]) -> tuple[torch.Tensor, ...]:
    """NumPy batches as torch tensors (sharing their memory)."""
    import torch

    return tuple(torch.from_numpy(a) for a in arrays)


def _optimizer(module: nn.Module, config: TrainConfig) -> Any:
    import torch

    parameters = module.parameters()
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)


def _loss(config: TrainConfig) -> Any:
    from torch import nn

    if config.loss == "mse":
        return nn.MSELoss()
    if config.loss == "mae":
        return nn.L1Loss()
    if config.loss == "smape":
        return symmetric_percentage_loss
    return nn.HuberLoss(delta=config.huber_delta)


def symmetric_percentage_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """M4's sMAPE as a fraction: the mean of 2|y - ŷ| / (|y| + |ŷ|), a pair of zeros
    counting as no error. Scale-free: a series of 10 and one of 10^5 weigh the same."""
    import torch

    denominator = prediction.abs() + target.abs()
    ratio = 2 * (prediction - target).abs() / denominator.clamp_min(1e-8)
    return torch.where(denominator > 0, ratio, torch.zeros_like(ratio)).mean()
