"""What every neural forecaster shares: windows, scaling, strategies, covariates, checkpoints.

Symbols: B batch (or origins), L input length, C input channels, S output positions, H
horizon, K target columns.

A subclass only says how to build its ``nn.Module`` (inputs (B, L, C) -> outputs
(B, S, H·K)) and which input steps its S outputs belong to. The forecaster turns the
DataFrame into scaled input channels (targets, then ``covariates``, then a one-hot of each
``known_ahead`` column's *next* value), trains with ``seqcast.training``, and forecasts with
one of three strategies:

- ``recursive``: a one-step model fed its own predictions (targets are its only inputs
  after the first step, so numeric covariates are refused beyond one step);
- ``direct``: H outputs from the window's last step;
- ``seq2seq``: H outputs at every step, the loss on all of them; forecasts use the last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import pandas as pd

from seqcast.data.io import require_numeric
from seqcast.data.windows import Windows
from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.training import History, NonFiniteLoss, TrainConfig, TrainState

Strategy = Literal["recursive", "direct", "seq2seq"]
Scaling = Literal["standard", "minmax", "none"]
N = TypeVar("N", bound="NeuralForecaster")


@dataclass
class NeuralForecaster(Forecaster):
    """Base of the neural models; see the module docstring. Parameters shared by all:

    input_len : L, the window of past steps each forecast sees.
    horizon : H, the steps the network outputs (``direct``, ``seq2seq``); 1 for recursive.
    strategy : ``recursive``, ``direct`` or ``seq2seq``.
    covariates : extra numeric input columns (e.g. ``bus`` when forecasting ``rail``).
    known_ahead : categorical columns known in advance (e.g. ``day_type``); step t's input
        holds a one-hot of step t+1's value, so forecasts need them for the future too.
    scaling : per-column ``standard`` or ``minmax`` scaling fitted on the training part, or
        ``none``.
    train : a ``TrainConfig`` (or a dict of its fields).
    """

    input_len: int = 56
    horizon: int = 1
    strategy: Strategy = "recursive"
    covariates: tuple[str, ...] = ()
    known_ahead: tuple[str, ...] = ()
    scaling: Scaling = "standard"
    train: TrainConfig = field(default_factory=TrainConfig)

    sequence_output: ClassVar[bool] = False  # outputs at every input step (seq2seq-capable)

    def __post_init__(self) -> None:
        if isinstance(self.train, dict):
            self.train = make_train_config(self.train)
        self.covariates = tuple(self.covariates)
        self.known_ahead = tuple(self.known_ahead)
        if self.input_len < 1 or self.horizon < 1:
            raise SeqcastError(f"{self.name}: input_len and horizon must be at least 1")
        if self.strategy not in ("recursive", "direct", "seq2seq"):
            raise SeqcastError(
                f"{self.name}: strategy must be recursive, direct or seq2seq, got {self.strategy!r}"
            )
        if self.strategy == "recursive" and self.horizon != 1:
            raise SeqcastError(
                f"{self.name}: the recursive strategy trains a one-step model; "
                "leave horizon at 1 (forecast any number of steps)"
            )
        if self.strategy == "seq2seq" and not self.sequence_output:
            raise SeqcastError(
                f"{self.name} gives one output per window; use the recursive or direct strategy"
            )
        if self.scaling not in ("standard", "minmax", "none"):
            raise SeqcastError(f"{self.name}: scaling must be standard, minmax or none")

    @classmethod
    def defaults_for(cls, season: int, horizon: int) -> dict[str, Any]:
        """Two seasons of input (at least 24 steps), H outputs from the last step, and a short
        training (50 epochs, patience 5) so a benchmark of every model stays quick."""
        return {
            "input_len": max(2 * season, 24),
            "strategy": "direct",
            "horizon": horizon,
            "train": {"epochs": 50, "patience": 5},
        }

    # --- what a subclass provides -------------------------------------------------------

    def build(self, n_inputs: int, n_targets: int) -> Any:
        """The ``nn.Module`` for ``n_inputs`` input channels of which the first ``n_targets``
        are forecast: (B, L, n_inputs) -> (B, S, ``output_width(n_targets)``)."""
        raise NotImplementedError

    @property
    def network_horizon(self) -> int:
        """The steps the network outputs from each position: 1 (recursive) or ``horizon``."""
        return 1 if self.strategy == "recursive" else self.horizon

    def output_width(self, n_targets: int) -> int:
        """O = H·K, the outputs per position of a network forecasting ``n_targets`` columns."""
        return self.network_horizon * n_targets

    def output_steps(self, length: int) -> list[int]:
        """The input positions the module's S outputs belong to (their targets follow them)."""
        return list(range(length)) if self.sequence_output else [length - 1]

    # --- the forecaster contract ----------------------------------------------------------

    @property
    def min_history(self) -> int:
        return self.input_len

    @property
    def future_columns(self) -> list[str]:
        return list(self.known_ahead)

    def fit(
        self: N,
        data: pd.DataFrame,
        targets: str | Sequence[str] | None = None,
        *,
        valid: pd.DataFrame | None = None,
        resume: str | Path | None = None,
        interrupt_checkpoint: str | Path | None = None,
        on_epoch: Callable[[History], None] | None = None,
    ) -> N:
        """Train on ``data``; early-stop on ``valid`` (a later DataFrame, windowed on its own)
        or else on the last ``train.valid_fraction`` of the windows.

        ``resume`` continues the training saved in a checkpoint (same settings; a larger
        ``train.epochs`` trains on) exactly as the run would have gone on. Ctrl-C first saves
        the last completed epoch to ``interrupt_checkpoint``. ``on_epoch`` sees the history
        after every epoch.
        """
        self._start_fit(data, targets)
        self._fit(
            data,
            valid=valid,
            resume=resume,
            interrupt_checkpoint=interrupt_checkpoint,
            on_epoch=on_epoch,
        )
        return self

    def _fit(
        self,
        data: pd.DataFrame,
        *,
        valid: pd.DataFrame | None = None,
        resume: str | Path | None = None,
        interrupt_checkpoint: str | Path | None = None,
        on_epoch: Callable[[History], None] | None = None,
    ) -> None:
        from seqcast.training import matmul_precision, seeded, train

        require_numeric(data, self.covariates)
        missing = [c for c in self.known_ahead if c not in data.columns]
        if missing:
            raise SeqcastError(f"{self.name}: no known-ahead column {missing[0]!r} in the data")
        self.categories_ = {c: sorted(map(str, data[c].unique())) for c in self.known_ahead}
        numeric = list(dict.fromkeys([*self.targets_, *self.covariates]))
        self.numeric_ = numeric
        values = data[numeric].to_numpy(dtype=float)
        self.shift_, self.scale_ = _scaler(values, self.scaling)
        train_windows = self.windows(data)
        if len(train_windows) < 1:
            raise SeqcastError(
                f"{self.name}: {len(data)} steps are too few for windows of "
                f"{self.input_len} steps and {self.network_horizon} targets"
            )
        valid_windows: Windows | None = None
        if valid is not None:
            valid_windows = self.windows(valid)
            if len(valid_windows) < 1:
                raise SeqcastError(
                    f"{self.name}: the validation part has {len(valid)} steps, too few for one "
                    f"window of {self.input_len} steps and {self.network_horizon} targets"
                )
        elif self.train.valid_fraction > 0:
            cut = round(len(train_windows) * (1 - self.train.valid_fraction))
            if 0 < cut < len(train_windows):  # else too few windows to set any aside
                train_windows, valid_windows = (
                    train_windows.take(slice(cut)),
                    train_windows.take(slice(cut, None)),
                )
        self.n_inputs_ = train_windows.values.shape[1]
        resumed = self._resume_state(resume) if resume is not None else None

        def save_interrupted(state: TrainState) -> None:
            if interrupt_checkpoint is not None:
                self._write_checkpoint(interrupt_checkpoint, state, state.best_weights, None)

        try:
            with seeded(self.train.seed), matmul_precision(self.train.precision):
                self.module_ = self.build(self.n_inputs_, len(self.targets_))
                self.train_state_: TrainState = train(
                    self.module_,
                    train_windows,
                    valid_windows,
                    self.train,
                    self.scale_[: len(self.targets_)],
                    resume=resumed,
                    on_epoch=on_epoch,
                    on_interrupt=save_interrupted,
                )
        except NonFiniteLoss:
            self.training_: History = History(stopped="non-finite loss")
            raise
        self.training_ = self.train_state_.history

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        return self.predict_origins(history, np.array([len(history) - 1]), n, future=future)[0]

    def predict_origins(
        self,
        data: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """(O, n, K) forecasts from every origin in one batched pass per step (float32
        matrix products, whatever precision trained the model)."""
        import torch

        self._check_horizon(horizon)
        if self.known_ahead:
            data = self._with_future(data, origins, horizon, future)
        features = self._features(data)  # (T, C), scaled
        starts = origins - self.input_len + 1
        if (starts < 0).any():
            raise SeqcastError(f"{self.name} needs {self.input_len} steps before each origin")
        offsets = np.arange(self.input_len)
        k = len(self.targets_)
        self.module_.eval()
        with torch.no_grad():
            x = torch.as_tensor(features[starts[:, None] + offsets], dtype=torch.float32)
            if self.strategy != "recursive":
                out = self.module_(x)[:, -1].reshape(len(origins), -1, k)[:, :horizon]
                scaled = out.numpy().astype(float)
            else:
                scaled = np.empty((len(origins), horizon, k))
                for h in range(horizon):
                    step = self.module_(x)[:, -1].reshape(len(origins), k)  # (O, K)
                    scaled[:, h] = step.numpy()
                    if h + 1 < horizon:
                        # The next input row: the prediction, plus (when the model has them)
                        # the known-ahead one-hots, which _with_future made available.
                        rows = np.minimum(origins + h + 1, len(features) - 1)
                        nxt = torch.as_tensor(features[rows], dtype=torch.float32)
                        if not self.known_ahead:
                            nxt.zero_()
                        nxt[:, :k] = step
                        x = torch.cat([x[:, 1:], nxt[:, None]], dim=1)
        return scaled * self.scale_[:k] + self.shift_[:k]

    # --- checkpoints ------------------------------------------------------------------------

    def save(self, path: str | Path, *, data_source: dict[str, Any] | None = None) -> None:
        """Write a checkpoint: parameters, the (best) weights, scalers, categories, the
        training history and the state to resume training from; ``data_source`` records
        where the data came from (``seqcast.data.sources.DataSource.to_dict``)."""
        if not hasattr(self, "module_"):
            raise SeqcastError(f"{self.name} is not fitted; nothing to save")
        self._write_checkpoint(
            path, getattr(self, "train_state_", None), self.module_.state_dict(), data_source
        )

    def _write_checkpoint(
        self,
        path: str | Path,
        state: TrainState | None,
        weights: dict[str, Any],
        data_source: dict[str, Any] | None,
    ) -> None:
        import torch

        from seqcast.checkpoint import save_checkpoint

        resume = None
        if state is not None:  # its best weights are the checkpoint's own: not stored twice
            resume = {k: v for k, v in state.to_dict().items() if k != "best_weights"}
        save_checkpoint(
            path,
            {
                "model": self.name,
                "params": _plain(self.params()),
                "targets": list(self.targets_),
                "numeric": list(self.numeric_),
                "categories": {k: list(v) for k, v in self.categories_.items()},
                "freq": self.freq_.freqstr,
                "n_inputs": int(self.n_inputs_),
                "shift": torch.as_tensor(self.shift_),
                "scale": torch.as_tensor(self.scale_),
                "state_dict": weights,
                "history": (state.history if state else History()).to_dict(),
                "resume": resume,
                "data_source": data_source,
            },
        )

    @classmethod
    def from_checkpoint(cls, payload: dict[str, Any], path: str | Path) -> NeuralForecaster:
        """A fitted forecaster from a checkpoint's content (``predict`` then needs
        ``history=``); ``path`` names the file in errors."""
        from pandas.tseries.frequencies import to_offset

        from seqcast.models.registry import create_model

        model = create_model(payload["model"], **_from_plain(payload["params"]))
        if not isinstance(model, NeuralForecaster):
            raise SeqcastError(f"{path} holds a {payload['model']} model, not a neural one")
        model.targets_ = list(payload["targets"])
        model.numeric_ = list(payload["numeric"])
        model.categories_ = {k: list(v) for k, v in payload["categories"].items()}
        model.freq_ = to_offset(payload["freq"])
        model.n_inputs_ = int(payload["n_inputs"])
        model.shift_ = payload["shift"].numpy()
        model.scale_ = payload["scale"].numpy()
        model.module_ = model.build(model.n_inputs_, len(model.targets_))
        try:
            model.module_.load_state_dict(payload["state_dict"])
        except RuntimeError as exc:
            raise SeqcastError(
                f"{path}: the weights do not fit a {model.name} with these "
                f"parameters ({str(exc).splitlines()[0]})"
            ) from exc
        model.module_.eval()
        model.training_ = History.from_dict(payload["history"])
        return model

    @classmethod
    def load(cls, path: str | Path) -> NeuralForecaster:
        """A fitted forecaster from a checkpoint file (``seqcast.load_model`` does this for
        any model that can be saved)."""
        from seqcast.checkpoint import load_checkpoint

        return cls.from_checkpoint(load_checkpoint(path), path)

    # --- internals ------------------------------------------------------------------------

    def _check_horizon(self, n: int) -> None:
        if self.strategy != "recursive" and n > self.horizon:
            raise SeqcastError(
                f"{self.name} was trained to forecast {self.horizon} steps "
                f"({self.strategy}); asked for {n}. Refit with horizon={n} or "
                "use the recursive strategy"
            )
        if self.strategy == "recursive" and n > 1 and len(self.numeric_) > len(self.targets_):
            raise SeqcastError(
                f"{self.name}: a recursive forecast beyond one step cannot "
                "predict the covariates it feeds on; use direct or seq2seq"
            )

    def _features(self, data: pd.DataFrame) -> np.ndarray:
        """(T, C): scaled numeric columns, then each known-ahead column's next value one-hot."""
        require_numeric(data, self.numeric_)
        numeric = (data[self.numeric_].to_numpy(dtype=float) - self.shift_) / self.scale_
        blocks = [numeric]
        for column, categories in self.categories_.items():
            values = data[column].astype(str).to_numpy()
            unknown = sorted(set(values) - set(categories) - {"nan", "<NA>", "None"})
            if unknown:
                raise SeqcastError(
                    f"{self.name}: {column!r} has values unseen in training: "
                    f"{', '.join(unknown[:5])}"
                )
            nxt = np.append(values[1:], "")  # step t carries step t+1's value
            blocks.append((nxt[:, None] == np.array(categories)[None, :]).astype(float))
        return np.concatenate(blocks, axis=1)

    def windows(self, data: pd.DataFrame) -> Windows:
        """Every training example of ``data`` (stride 1), scaled as in training."""
        features = self._features(data).astype(np.float32)  # (T, C)
        steps = self.output_steps(self.input_len) if self.strategy == "seq2seq" else None
        k = len(self.targets_)
        return Windows.over(features, features[:, :k], self.input_len, self.network_horizon, steps)

    def _with_future(
        self, data: pd.DataFrame, origins: np.ndarray, horizon: int, future: pd.DataFrame | None
    ) -> pd.DataFrame:
        """``data`` extended by the known-ahead values after its last row, from ``future``."""
        needed = int(origins.max()) + horizon + 1 - len(data)
        if needed <= 0:
            return data
        if future is None or len(future) < needed:
            raise SeqcastError(
                f"{self.name} needs the known-ahead columns "
                f"{', '.join(self.known_ahead)} for the {needed} steps after "
                "the data (pass future=...)"
            )
        missing = [c for c in self.known_ahead if c not in future.columns]
        if missing:
            raise SeqcastError(f"future has no column {missing[0]!r}")
        extra = future.iloc[:needed][list(self.known_ahead)].copy()
        for column in self.numeric_:
            extra[column] = 0.0  # never read: forecasts only look at known-ahead values there
        return pd.concat([data[[*self.numeric_, *self.known_ahead]], extra])

    def _resume_state(self, path: str | Path) -> TrainState:
        """The training state saved in ``path``, refused unless it was saved by this model
        with the same parameters (the number of epochs and the progress display may differ)."""
        from seqcast.checkpoint import load_checkpoint

        payload = load_checkpoint(path)

        def settings(params: dict[str, Any]) -> dict[str, Any]:
            train = {k: v for k, v in params["train"].items() if k not in ("epochs", "progress")}
            return {**_from_plain(params), "train": train}

        if payload["model"] != self.name or settings(payload["params"]) != settings(
            _plain(self.params())
        ):
            raise SeqcastError(
                f"{path} was saved by a different model or parameters; "
                "resume with the same settings"
            )
        if payload.get("resume") is None:
            raise SeqcastError(f"{path} holds no training state to resume from")
        return TrainState.from_dict({**payload["resume"], "best_weights": payload["state_dict"]})


def make_train_config(values: dict[str, Any]) -> TrainConfig:
    """A TrainConfig from a dict, naming any unknown key."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = [k for k in values if k not in known]
    if unknown:
        raise SeqcastError(
            f"train has no parameter {unknown[0]!r}; its parameters are: {', '.join(sorted(known))}"
        )
    return TrainConfig(**values)


def _scaler(values: np.ndarray, scaling: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column shift and scale fitted on the training values."""
    from seqcast.data.transforms import MinMaxScaler, StandardScaler

    if scaling == "none":
        return np.zeros(values.shape[1]), np.ones(values.shape[1])
    fitted = (StandardScaler() if scaling == "standard" else MinMaxScaler()).fit(values)
    return fitted.shift_, fitted.scale_


def _plain(value: Any) -> Any:
    """Parameters as checkpoint-safe plain data (dataclasses to dicts, tuples to lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _from_plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
