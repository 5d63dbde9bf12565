"""The training loop: plain PyTorch, a few hundred lines.

Symbols: B batch, L input length, C input channels, S output positions per window (1 for a
forecast from the window's end, L for sequence-to-sequence), H horizon, K target columns.

``train`` fits an ``nn.Module`` mapping inputs (B, L, C) to outputs (B, S, H·K) on window
batches, with early stopping on validation MAE (restoring the best weights), gradient
clipping, a NaN/inf guard, seeded shuffling and an optional progress bar. It trains where
the module is, with the windows resident there (``on_device``). Its settings are
``seqcast.train_config.TrainConfig``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from seqcast import devices
from seqcast.data.resident import ResidentWindows, same_arrays
from seqcast.data.windows import Windows
from seqcast.devices import Precision
from seqcast.errors import SeqcastError
from seqcast.progress import Progress
from seqcast.train_config import TrainConfig

if TYPE_CHECKING:  # torch is imported where training happens, not when seqcast is
    import torch
    from torch import nn

    from seqcast.networks.heads import Head

VALID_BATCH = 8192  # windows per validation pass on an accelerator (256 on a CPU)


@dataclass
class History:
    """Per-epoch records of a training run."""

    train_loss: list[float] = field(default_factory=list)
    valid_mae: list[float] = field(default_factory=list)
    valid_mse: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # whole epoch, validation included
    train_seconds: list[float] = field(default_factory=list)  # the training batches alone
    best_epoch: int = 0
    averaged: list[int] = field(default_factory=list)  # the epochs whose weights are averaged
    stopped: str = ""
    device: str = ""  # where it trained, in words (``devices.describe``)
    precision: str = ""
    peak_memory_mb: float = 0.0  # the device's (a CPU's: the process's) peak so far

    def ran_on(self) -> str:
        """Where and how it trained, in words: ``cuda:0 (NVIDIA H200), bf16, peak 812 MB``."""
        if not self.device:
            return "not recorded"
        return f"{self.device}, {self.precision}, peak {self.peak_memory_mb:,.0f} MB"

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
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Inside the block torch's default generator (weight initialisation, dropout) and a CUDA
    ``device``'s start from ``seed``, so runs repeat (CPU runs bit for bit); afterwards they
    are back where the caller left them: a fit does not reseed the user's generators."""
    import torch

    cuda = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate of ``epoch`` (from 1) under ``config.lr_schedule``."""
    if config.lr_schedule == "halve":
        return config.lr * 0.5 ** (epoch - 1)
    if config.lr_schedule == "segrnn":
        if epoch == 1:
            return config.lr / 25  # the reference builds a OneCycleLR it never steps
        return config.lr * 0.8 ** max(epoch - 4, 0)
    if config.lr_schedule == "cosine":
        return config.lr * (1 + math.cos(math.pi * (epoch - 1) / config.epochs)) / 2
    return config.lr


@dataclass
class TrainState:
    """Everything training needs to go on after a completed epoch, bit for bit: the module's
    and the optimizer's state then, the best weights so far, the history, the random
    generators (the batch shuffle's, torch's default one, which CPU dropout draws from, and
    the accelerator's, which its dropout draws from: None on a CPU) and, with
    ``average_epochs`` above 1, the epochs kept to average (``kept``: their rank, epoch and
    weights, best first)."""

    epoch: int
    weights: dict[str, Any]
    optimizer: dict[str, Any]
    best_weights: dict[str, Any]
    history: History
    shuffle_rng: torch.Tensor
    torch_rng: torch.Tensor
    device_rng: torch.Tensor | None = None
    kept: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Checkpoint-safe plain data (tensors, numbers, lists, dicts), not copied."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**fields, "history": self.history.to_dict()}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> TrainState:
        return cls(**{**record, "history": History.from_dict(record["history"])})


Batches = Windows | ResidentWindows


def on_device(
    windows: Batches, valid: Batches | None, device: torch.device
) -> tuple[ResidentWindows, ResidentWindows | None]:
    """Training and validation windows resident on ``device``; arrays they share go once."""
    train = windows if isinstance(windows, ResidentWindows) else ResidentWindows.of(windows, device)
    if valid is None or isinstance(valid, ResidentWindows):
        return train, valid
    like = train if isinstance(windows, Windows) and same_arrays(windows, valid) else None
    return train, ResidentWindows.of(valid, device, like)


def device_of(module: nn.Module) -> torch.device:
    """Where ``module``'s parameters are (the CPU for one without any)."""
    import torch

    return next(module.parameters(), torch.empty(0)).device


def train(
    module: nn.Module,
    windows: Batches,
    valid: Batches | None,
    config: TrainConfig,
    target_scale: np.ndarray,
    *,
    per_window: bool = False,
    resume: TrainState | None = None,
    on_epoch: Callable[[History], None] | None = None,
    on_interrupt: Callable[[TrainState], None] | None = None,
    head: Head | None = None,
    score: Callable[[nn.Module], tuple[float, float]] | None = None,
) -> TrainState:
    """Fit ``module`` on ``windows``; stop early on ``valid`` MAE or MSE (original units).

    ``target_scale`` (K,) turns scaled errors back into the targets' units; ``per_window``
    divides every window's errors by its spread instead (``loss_scale`` window). Returns the
    state after the last epoch (its history says why training stopped); the module holds
    the best weights (with ``average_epochs`` above 1, the mean of the best epochs').
    ``resume`` continues from a saved state exactly as the run would have gone on.
    ``on_epoch`` sees the history after each epoch. Ctrl-C (KeyboardInterrupt, also when
    raised by ``on_epoch``) hands ``on_interrupt`` the state of the last completed epoch,
    then re-raises. With a probabilistic ``head`` the module outputs its P parameters per
    value, (B, S, H·P·K), ``config.loss`` scores them, and validation scores their point
    forecast. ``score(module)``, when given, gives the validation MAE and MSE instead of
    ``valid``'s windows (``train.valid_forecast``: the module's recursive forecasts).

    Training runs where ``module`` is (``device_of``): the windows go there once
    (``on_device``), batches are gathered there, and the loss is read back once per epoch.
    """
    import torch

    device = device_of(module)
    windows, valid = on_device(windows, valid, device)
    optimizer = _optimizer(module, config)
    generator = torch.Generator().manual_seed(config.seed)  # the shuffle: on the CPU, anywhere
    history, best_state, kept = _start(module, optimizer, generator, resume)
    history.stopped = ""
    history.device, history.precision = devices.describe(device), config.precision
    state = _snapshot(module, optimizer, best_state, history, generator, kept)
    point_loss = _loss(config) if head is None else None
    loss = functools.partial(
        batch_loss,
        loss_fn=point_loss,
        head=head,
        per_window=per_window,
        cast=functools.partial(devices.autocast, config.precision, device),
    )
    monitored = history.valid_mse if config.monitor == "mse" else history.valid_mae
    best_score = min(monitored, default=math.inf)
    if score is None and valid:
        score = _window_score(valid, target_scale, per_window, head, config.precision)
    validated = score is not None
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
            mae, mse = score(module) if score is not None else (math.nan, math.nan)
            history.train_loss.append(mean_loss)
            history.valid_mae.append(mae)
            history.valid_mse.append(mse)
            history.seconds.append(time.perf_counter() - clock)
            history.peak_memory_mb = devices.peak_memory_mb(device)
            epoch_score = mse if config.monitor == "mse" else mae
            improved = not validated or epoch_score < best_score
            if improved:
                best_score, history.best_epoch = epoch_score, epoch
            if config.average_epochs > 1:
                rank = epoch_score if validated else -epoch  # without validation: the last
                before, kept = kept, _keep(kept, rank, epoch, module, config.average_epochs)
                if kept is not before:  # this epoch is one of them: average again
                    best_state = _averaged(kept)
                    history.averaged = sorted(entry["epoch"] for entry in kept)
            elif improved:
                best_state = copy.deepcopy(module.state_dict())
            history.stopped = _why_stop(history, config, epoch, validated)
            state = _snapshot(module, optimizer, best_state, history, generator, kept)
            if progress is not None:
                progress.advance(
                    epoch,
                    f"loss {mean_loss:.4g}, valid {config.monitor.upper()} {epoch_score:,.4g}, "
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


def _window_score(
    valid: ResidentWindows,
    target_scale: np.ndarray,
    per_window: bool,
    head: Head | None,
    precision: Precision,
) -> Callable[[nn.Module], tuple[float, float]]:
    """A module's validation MAE and MSE on the held-out windows ``valid`` (``evaluate``)."""
    return lambda module: evaluate(module, valid, target_scale, per_window, head, precision)


def train_epoch(
    module: nn.Module,
    optimizer: Any,
    windows: ResidentWindows,
    config: TrainConfig,
    epoch: int,
    generator: torch.Generator,
    loss: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """One epoch at ``epoch``'s learning rate over ``windows`` in an order drawn from
    ``generator`` (``config.windows_per_epoch`` of them, or all), one optimizer step per
    batch of ``loss``; returns the mean loss. The batch losses stay on the device until the
    epoch ends (no wait per batch); a NaN or inf among them then raises ``NonFiniteLoss``
    naming the epoch and the first such batch (the caller puts the best weights back)."""
    import torch
    from torch import nn

    for group in optimizer.param_groups:
        group["lr"] = learning_rate(config, epoch)
    module.train()
    order = torch.randperm(len(windows), generator=generator)
    if 0 < config.windows_per_epoch < len(windows):
        order = order[: config.windows_per_epoch]
    batches = order.to(windows.starts.device).split(config.batch_size)  # one copy an epoch
    losses = []
    for index in batches:
        x, y = windows.batch(index)  # (B, L, C), (B, S, H, K)
        value = loss(module, x, y)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        if config.clip_norm is not None:
            nn.utils.clip_grad_norm_(module.parameters(), config.clip_norm)
        optimizer.step()
        losses.append(value.detach())
    read = torch.stack(losses).double().cpu().tolist()  # the epoch's one wait for the device
    total = 0.0
    for b, (value, index) in enumerate(zip(read, batches, strict=True), start=1):
        if not math.isfinite(value):
            raise NonFiniteLoss(f"the training loss became {value} at epoch {epoch}, batch {b}")
        total += value * len(index)
    return total / len(order)


def batch_loss(
    module: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss_fn: Any,
    head: Head | None,
    per_window: bool,
    cast: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
) -> torch.Tensor:
    """The loss of ``module``'s outputs for inputs x (B, L, C) against targets y (B, S, H, K):
    a point loss ``loss_fn`` of its last S outputs (B, S', H·K), or with a ``head`` the
    head's loss of its parameters (B, S', H·P·K); ``per_window`` first divides both by each
    window's spread. The forward pass runs inside ``cast()`` (``devices.autocast``), the
    loss in float32."""
    with cast():
        out = module(x)  # (B, S', H*K), or (B, S', H*P*K) with a head
    out = out.float()
    if head is not None:
        return _head_loss(head, out, x, y, per_window) + penalties(module)
    prediction = out[:, -y.shape[1] :].reshape(y.shape)
    if per_window:
        spread = window_spread(x, y.shape[-1])[:, :, None]  # (B, 1, 1, K)
        prediction, y = prediction / spread, y / spread
    return loss_fn(prediction, y) + penalties(module)


def penalties(module: nn.Module) -> torch.Tensor | float:
    """The sum of the penalties that ``module``'s layers computed in their last training
    forward pass (a ``penalty`` tensor attribute, such as ES-RNN's level wiggliness), 0 for
    none."""
    import torch

    total: torch.Tensor | float = 0.0
    for layer in module.modules():
        penalty = getattr(layer, "penalty", None)
        if isinstance(penalty, torch.Tensor):
            total = total + penalty
    return total


def _start(
    module: nn.Module, optimizer: Any, generator: torch.Generator, resume: TrainState | None
) -> tuple[History, dict[str, Any], list[dict[str, Any]]]:
    """The history, best weights and kept epochs to train on from: a fresh run's, or
    ``resume``'s with the module, optimizer and random generators set back to it."""
    import torch

    if resume is None:
        return History(), copy.deepcopy(module.state_dict()), []
    module.load_state_dict(resume.weights)
    optimizer.load_state_dict(resume.optimizer)
    generator.set_state(resume.shuffle_rng)
    torch.set_rng_state(resume.torch_rng)
    devices.set_rng_state(device_of(module), resume.device_rng)
    history = copy.deepcopy(resume.history)
    return history, copy.deepcopy(resume.best_weights), copy.deepcopy(resume.kept)


def _why_stop(history: History, config: TrainConfig, epoch: int, validated: bool) -> str:
    """Why training stops after ``epoch``, or "" when it goes on."""
    if validated and epoch - history.best_epoch >= config.patience:
        return f"no better validation {config.monitor.upper()} for {config.patience} epochs"
    if epoch == config.epochs:
        return f"reached {config.epochs} epochs"
    return ""


def _keep(
    kept: list[dict[str, Any]], rank: float, epoch: int, module: nn.Module, n: int
) -> list[dict[str, Any]]:
    """The ``n`` epochs of lowest rank among ``kept`` and this ``epoch`` (ties: the
    earlier), best first; this epoch's weights copied only when it is one of them."""
    if len(kept) == n and rank >= kept[-1]["rank"]:
        return kept
    entry = {"rank": rank, "epoch": epoch, "weights": copy.deepcopy(module.state_dict())}
    return sorted([*kept, entry], key=lambda e: (e["rank"], e["epoch"]))[:n]


def _averaged(kept: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of the ``kept`` epochs' weights (a tensor that is not floating point, such
    as a count, from the best epoch)."""
    import torch

    best = kept[0]["weights"]
    return {
        name: torch.stack([entry["weights"][name] for entry in kept]).mean(dim=0)
        if value.is_floating_point()
        else value.clone()
        for name, value in best.items()
    }


def _snapshot(
    module: nn.Module,
    optimizer: Any,
    best_state: dict[str, Any],
    history: History,
    generator: torch.Generator,
    kept: list[dict[str, Any]],
) -> TrainState:
    """A copy of the training state now (it must not change as training goes on; ``kept``
    is replaced, never changed in place, by the loop)."""
    import torch

    return TrainState(
        epoch=history.epochs,
        weights=copy.deepcopy(module.state_dict()),
        optimizer=copy.deepcopy(optimizer.state_dict()),
        best_weights=best_state,  # replaced, never changed in place, by the loop
        history=copy.deepcopy(history),
        shuffle_rng=generator.get_state(),
        torch_rng=torch.get_rng_state(),
        device_rng=devices.rng_state(device_of(module)),
        kept=kept,
    )


def evaluate(
    module: nn.Module,
    windows: Batches,
    target_scale: np.ndarray,
    per_window: bool = False,
    head: Head | None = None,
    precision: Precision = "fp32",
) -> tuple[float, float]:
    """MAE and MSE in the targets' units (``target_scale`` (K,) undoes the scaling), or
    with ``per_window`` in units of each window's spread, over every window's last output
    position and all H steps and K targets (none is dropped); with a ``head``, of its
    point forecasts. Runs where ``module`` is, in batches of ``VALID_BATCH`` (256 on a CPU),
    summing on the device and reading the sums back once."""
    import torch

    device = device_of(module)
    windows, _ = on_device(windows, None, device)
    wide = torch.float32 if device.type == "mps" else torch.float64  # mps has no float64
    scale = torch.as_tensor(np.asarray(target_scale), dtype=wide, device=device)
    size = 256 if device.type == "cpu" else VALID_BATCH
    module.eval()
    sums = torch.zeros(2, dtype=wide, device=device)  # |error|, error²
    with torch.no_grad():
        for index in torch.arange(len(windows), device=device).split(size):
            x, y = windows.batch(index)
            with devices.autocast(precision, device):
                out = module(x)[:, -1]
            out, actual = out.to(wide), y[:, -1].to(wide)  # (B, H·P·K), (B, H, K)
            if head is None:
                prediction = out.reshape(actual.shape)
            else:
                batch, horizon, k = actual.shape
                prediction = head.point(out.reshape(batch, horizon, head.params, k))
            units = 1 / window_spread(x.to(wide), y.shape[-1]) if per_window else scale
            error = (actual - prediction) * units  # (B, H, K)
            sums += torch.stack([error.abs().sum(), error.square().sum()])
    absolute, squared = (sums / (len(windows) * actual[0].numel())).tolist()
    return absolute, squared


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
