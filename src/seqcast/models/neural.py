"""What every neural forecaster shares: windows, scaling, strategies, covariates, panels,
checkpoints.

Symbols: B batch (or origins), L input length, C input channels, S output positions, H
horizon, K target columns.

A subclass only says how to build its ``nn.Module`` (inputs (B, L, C) -> outputs
(B, S, H·K)) and which input steps its S outputs belong to. The forecaster turns the data
into input channels (``seqcast.models.channels``: targets and ``covariates``, one-hots of
``known_ahead`` columns, ``static`` columns, the series number), wraps the network in a
per-window normalisation (``norm``) and, on a panel, a learned series embedding
(``id_embedding``), trains with ``seqcast.training``, and forecasts with one of three
strategies:

- ``recursive``: a one-step model fed its own predictions (targets are its only inputs
  after the first step, so numeric covariates are refused beyond one step);
- ``direct``: H outputs from the window's last step;
- ``seq2seq``: H outputs at every step, the loss on all of them (with a ``norm``, on the
  window's second half: ``scored_steps``); forecasts use the last.

Given a panel the forecaster is a global model: one network trained on windows of every
series (``neural_windows``), validated on their last steps, forecasting all in one pass.

A distribution ``train.loss`` (quantile, normal, student_t, negbin) gives the network a
probabilistic head (``seqcast.networks.heads``): P outputs per forecast value, and intervals
of its own (``predict_interval``). The network's wrappers live in ``neural_network``,
training in ``neural_fit``, forecasting from windows (sampled paths for a recursive
model's intervals) in ``neural_forecast``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from seqcast.data.panel import (
    check_lengths,
    iter_series,
    series_lengths,
    series_of_rows,
    series_starts,
)
from seqcast.data.windows import Windows
from seqcast.engines import Engine
from seqcast.errors import Interrupted, SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.channels import Channels, loggable
from seqcast.models.neural_checkpoint import (
    InterruptSaver,
    from_plain,
    read_network,
    saved_train_state,
    write_checkpoint,
)
from seqcast.models.neural_fit import (
    TrainedNetwork,
    data_summary,
    refuse_negative_counts,
    train_network,
)
from seqcast.models.neural_forecast import forecast_validation, forecast_windows, with_future
from seqcast.models.neural_network import wrapped_network
from seqcast.models.neural_settings import Scaling, Strategy, check_settings
from seqcast.models.neural_windows import data_windows, training_windows
from seqcast.models.padding import forecast_padding, pad_front
from seqcast.models.registry import create_model
from seqcast.networks import Norm
from seqcast.train_config import DISTRIBUTION_LOSSES, TrainConfig, make_train_config
from seqcast.training import History, NonFiniteLoss

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
    scaling : per-column ``standard`` or ``minmax`` scaling fitted on the training part,
        ``positive`` (kept above 0: ``seqcast.models.channels``), ``log`` (the targets'
        natural logs, then ``standard``: the network learns relative changes, and its
        forecasts and intervals come back through exp; values must be above 0),
        ``log_or_standard`` (``log`` when every training value of the targets is above 0,
        else ``standard``) or ``none``.
        On a panel with a ``norm`` the per-window normalisation replaces the global scaler
        (``log`` keeps its logs).
    log_offset : with the targets' logs, a share s: each series enters as log(y + c), c =
        s x the mean of its training values, and its forecasts and bounds come back as
        exp(.) - c (0: plain logs). It damps the logs' swings where a series dips near 0
        and admits zeros (a value must stay above -c).
    norm : per-window normalisation of the numeric inputs, undone on the forecast:
        ``revin`` (mean 0, deviation 1, then a learned affine map), ``last`` (minus the last
        value), ``mean`` (over the mean absolute value) or ``none``. RevIN and mean keep a
        forecast in proportion to its series, so series of any size share one network.
    static : numeric columns constant within each series (a panel's per-series facts),
        given to the network at every step.
    id_embedding : on a panel, the size of a learned vector per series (0: none).
    pad : on a panel, series shorter than a window are padded (``seqcast.models.padding``):
        they train on what they have and every series is forecast, with a mask channel the
        network sees; False refuses them, naming the first.
    ensemble : N > 1 trains N networks one after another and forecasts their mean; member 0
        is the network ``ensemble`` 1 trains, the others start from later draws of the same
        generator and shuffle with ``train.seed`` + i. Not resumable.
    train : a ``TrainConfig`` (or a dict of its fields).
    """

    input_len: int = 56
    horizon: int = 1
    strategy: Strategy = "recursive"
    covariates: tuple[str, ...] = ()
    known_ahead: tuple[str, ...] = ()
    scaling: Scaling = "standard"
    log_offset: float = 0.0
    norm: Norm = "revin"
    static: tuple[str, ...] = ()
    id_embedding: int = 0
    pad: bool = True
    ensemble: int = 1
    train: TrainConfig = field(default_factory=TrainConfig)

    is_global: ClassVar[bool] = True  # on a panel: one network for every series
    sequence_output: ClassVar[bool] = False  # outputs at every input step (seq2seq-capable)
    normalises_itself: ClassVar[bool] = False  # the network applies ``norm`` on its own

    def __post_init__(self) -> None:
        if isinstance(self.train, dict):
            self.train = make_train_config(self.train)
        self.covariates = tuple(self.covariates)
        self.known_ahead = tuple(self.known_ahead)
        self.static = tuple(self.static)
        self.require_positive("input_len", "horizon")
        check_settings(self)

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """Two seasons of input (at least 24 steps), H outputs from the last step, and a short
        training (50 epochs, patience 5) so a benchmark of every model stays quick.

        On a panel, one network learns from every series: seven seasons of input (at least
        two horizons: a week of hourly data), batches of 256, the MAE loss, and epochs of
        50,000 windows drawn at random (40 at most, patience 5)."""
        if panel:
            return {
                "input_len": max(7 * season, 2 * horizon),
                "strategy": "direct",
                "horizon": horizon,
                "train": {
                    "epochs": 40,
                    "patience": 5,
                    "batch_size": 256,
                    "loss": "mae",
                    "windows_per_epoch": 50_000,
                },
            }
        return {
            "input_len": max(2 * season, 24),
            "strategy": "direct",
            "horizon": horizon,
            "train": {"epochs": 50, "patience": 5},
        }

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """The input length from {h, 2h, 4s, 7s} (``input_lengths``), the learning rate
        log-uniformly from 3e-4 to 1e-2 and the batch size from {128, 256, 512}; each model
        samples its own shape after these. The ranges are sized for a CPU: a recurrent
        network of 256 units in batches of 64 took 180 to 230 s per epoch of 50,000 M4
        Hourly windows on one core, ten times a 64-unit one in batches of 256. ``wide``
        (trials on a GPU) adds batches of 1,024 and 2,048, and each model larger shapes."""
        return {
            "input_len": trial.suggest_categorical("input_len", input_lengths(season, horizon)),
            "train.lr": trial.suggest_float("train.lr", 3e-4, 1e-2, log=True),
            "train.batch_size": trial.suggest_categorical(
                "train.batch_size", [128, 256, 512, *([1024, 2048] if wide else [])]
            ),
        }

    def require_positive(self, *fields: str) -> None:
        """Refuse a value below 1 of any of these int ``fields`` (sizes, counts, lengths)."""
        for name in fields:
            value = getattr(self, name)
            if value < 1:
                raise SeqcastError(f"{self.name}: {name} must be at least 1, got {value}")

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
        """O = H·K, the outputs per position of a network forecasting ``n_targets`` columns
        (H·P·K with a probabilistic head of P parameters per value)."""
        head = self.head
        return self.network_horizon * n_targets * (1 if head is None else head.params)

    def output_steps(self, length: int) -> list[int]:
        """The input positions the module's S outputs belong to (their targets follow them)."""
        return list(range(length)) if self.sequence_output else [length - 1]

    def network(self, channels: Channels, n_targets: int) -> Any:
        """``build``'s network for these input ``channels``, given a one-hot of the calendar
        phase (``phase_period``), a learned embedding of the series number (panels with
        ``id_embedding``) and per-window normalisation (``norm``, unless the network
        normalises itself): ``neural_network``; ``ensemble`` > 1 averages that many.
        Inputs (B, L, C) -> outputs (B, S, ``output_width(n_targets)``)."""
        from seqcast.networks.ensemble import MeanOf

        if self.ensemble > 1:
            return MeanOf([self._one_network(channels, n_targets) for _ in range(self.ensemble)])
        return self._one_network(channels, n_targets)

    def _one_network(self, channels: Channels, n_targets: int) -> Any:
        """One network, wrapped (``neural_network.wrapped_network``)."""
        return wrapped_network(self, channels, n_targets)

    # --- the forecaster contract ----------------------------------------------------------

    @property
    def min_history(self) -> int:
        return self.input_len

    @property
    def min_panel_history(self) -> int:
        return 1 if self.pad else self.input_len

    @property
    def future_columns(self) -> list[str]:
        return list(self.known_ahead)

    @property
    def preload(self) -> tuple[str, ...]:
        return ("torch",)

    def fit(
        self: N,
        data: pd.DataFrame,
        targets: str | Sequence[str] | None = None,
        *,
        workers: int | Engine = 1,
        valid: pd.DataFrame | None = None,
        resume: str | Path | None = None,
        interrupt_checkpoint: str | Path | None = None,
        on_epoch: Callable[[History], None] | None = None,
    ) -> N:
        """Train on ``data`` (a series, or a panel: one network for every series) and
        early-stop on ``valid`` (later data of the same kind, windowed on its own) or else
        on held-out windows: for a series the last ``train.valid_fraction`` of them, for a
        panel those whose targets lie in the last ``train.valid_steps`` (default: the
        horizon) of every series (with ``valid_fraction`` 0, none). What it learned is
        ``trained_`` (``seqcast.models.neural_fit.TrainedNetwork``).

        ``resume`` continues the training saved in a checkpoint (same settings; a larger
        ``train.epochs`` trains on) exactly as the run would have gone on. Ctrl-C first saves
        the last completed epoch to ``interrupt_checkpoint``. ``on_epoch`` sees the history
        after every epoch. ``workers`` is unused: training is one process.
        """
        self._start_fit(data, targets)
        refuse_negative_counts(data, self.targets_, self.head, self.name)
        panel = self.series_ids_ is not None
        window = self.input_len + self.network_horizon
        if panel and not self.pad:  # every series must give at least one window
            check_lengths(data, window, self.name)
        short = int((series_lengths(data) < window).sum()) if panel else 0
        self.padded_ = short  # series shorter than a window, padded
        # On a panel the per-window normalisation replaces the global scaler, whose one
        # shift for every series would break its proportionality (only norm none keeps it).
        # log and log_or_standard: the logs (if taken) standardised, or left to the norm.
        base = "standard" if self.scaling.startswith("log") else self.scaling
        scaling = "none" if panel and self.norm != "none" else base
        channels = self.learn_channels(data, scaling, short > 0)
        windows, held = training_windows(self, data, channels, valid)
        trained_on = data_summary(data, self.targets_)
        resumed = saved_train_state(resume, self, trained_on) if resume is not None else None

        def after_epoch(progress: TrainedNetwork) -> None:
            self.trained_ = progress  # on_epoch may forecast with the network as it is now
            if on_epoch is not None:
                on_epoch(progress.history)

        per_window = self.train.loss_scale == "window" or (
            self.train.loss_scale == "auto" and panel
        )
        score = None
        if self.train.valid_forecast and held is not None:
            score = forecast_validation(self, channels, held, per_window=per_window)
        saver = None
        if interrupt_checkpoint is not None:
            saver = InterruptSaver(interrupt_checkpoint, self, channels, trained_on)

        try:
            self.trained_ = train_network(
                lambda: self.network(channels, len(self.targets_)),
                channels,
                windows,
                held,
                self.train,
                n_targets=len(self.targets_),
                per_window=per_window,
                head=self.head,
                score=score,
                resume=resumed,
                on_epoch=after_epoch,
                on_interrupt=saver.save if saver is not None else None,
                trained_on=trained_on,
            )
        except NonFiniteLoss as error:
            self.trained_ = error.kept  # the best weights seen before it
            raise
        except KeyboardInterrupt:
            if saver is not None and saver.said:  # the checkpoint kept, and how to go on
                raise Interrupted(saver.said) from None
            raise
        return self

    def learn_channels(self, data: pd.DataFrame, scaling: str, masked: bool) -> Channels:
        """The input channels, learned from the training ``data`` (``masked``: with the
        mask of padded rows; with ``phase_period``, each row's calendar phase, which the
        network reads as a one-hot of the predicted step's); a subclass may ask for more."""
        numeric = list(dict.fromkeys([*self.targets_, *self.covariates]))
        numbered = self.id_embedding > 0
        return Channels.learn(
            data,
            numeric,
            self.known_ahead,
            self.static,
            scaling,
            numbered,
            masked,
            self.phase_period(),
            logged=len(self.targets_) if self.takes_logs(data) else 0,
            log_offset=self.log_offset,
        )

    def takes_logs(self, data: pd.DataFrame) -> bool:
        """Whether the targets enter as their logs: ``scaling`` log, or log_or_standard
        with every value of them in the training ``data`` above 0 (above -c, each series'
        ``log_offset`` shift, with one)."""
        if self.scaling == "log_or_standard":
            return loggable(data, self.targets_, self.log_offset)
        return self.scaling == "log"

    def phase_period(self) -> int:
        """m: the network reads each row's calendar phase in a season of m steps (0: none)."""
        return 0

    @property
    def has_intervals(self) -> bool:
        """Whether ``train.loss`` learns a distribution (quantiles, normal, ...)."""
        return self.train.loss in DISTRIBUTION_LOSSES

    @property
    def head(self) -> Any:
        """The network's probabilistic head (``seqcast.networks.heads``), or None."""
        from seqcast.networks.heads import make_head

        return make_head(self.train.loss, self.train.quantiles)

    def _forecast_series(
        self,
        data: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """Every origin's window in one batched pass per step (float32 matrix products,
        whatever precision trained the model)."""
        self._check_horizon(horizon)
        self._check_origins(origins)
        if self.known_ahead:
            data = with_future(
                data, origins, horizon, future, self.trained_.channels, self.known_ahead, self.name
            )
        channels = self.trained_.channels
        features = channels.features(data)  # (T, C), scaled
        last = np.full(len(origins), len(features) - 1)
        offsets = np.repeat(channels.offset_of(data)[None], len(origins), axis=0)
        return self._forecast_windows(features, origins, last, horizon, levels, offsets)

    def _forecast_panel(
        self,
        panel: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """Every origin of every series in one batched pass per step."""
        self._check_horizon(horizon)
        which, starts = series_of_rows(panel, origins), series_starts(panel)
        own = origins - starts[which]  # each origin's row in its own series
        if not self.pad:
            self._check_origins(own)
        futures = dict(iter_series(future)) if future is not None else {}
        channels = self.trained_.channels
        blocks, lifts = [], []  # each series' channels (T_i, C) and log offsets (logged,)
        for number, (key, frame) in enumerate(iter_series(panel)):
            if self.known_ahead and (which == number).any():
                mine = own[which == number]
                frame = with_future(
                    frame, mine, horizon, futures.get(key), channels, self.known_ahead, self.name
                )
            blocks.append(channels.features(frame, key))
            lifts.append(channels.offset_of(frame, key))
        lengths = np.array([len(block) for block in blocks])  # known-ahead rows add to them
        extra = forecast_padding(own, which, len(blocks), self.input_len)  # short histories
        features = pad_front(np.concatenate(blocks), lengths, extra, channels.mask_column)
        ends = np.cumsum(lengths + extra)
        rows = (ends - lengths)[which] + own
        offsets = np.array(lifts).reshape(len(blocks), -1)[which]
        return self._forecast_windows(features, rows, ends[which] - 1, horizon, levels, offsets)

    def _forecast_windows(
        self,
        features: np.ndarray,
        origins: np.ndarray,
        last: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        offsets: np.ndarray,
    ) -> np.ndarray:
        """``forecast_windows`` of the trained network with this model's settings;
        ``offsets`` (O, logged): each origin's series' log offset c."""
        return forecast_windows(
            self.trained_,
            features,
            origins,
            last,
            horizon,
            input_len=self.input_len,
            n_targets=len(self.targets_),
            recursive=self.strategy == "recursive",
            head=self.head,
            seed=self.train.seed,
            levels=levels,
            phase=self.trained_.channels.phase,
            offsets=offsets,
        )

    def windows(self, data: pd.DataFrame, channels: Channels | None = None) -> Windows:
        """Every training example of ``data`` (``neural_windows.data_windows``)."""
        return data_windows(
            data,
            channels if channels is not None else self.trained_.channels,
            input_len=self.input_len,
            network_horizon=self.network_horizon,
            n_targets=len(self.targets_),
            steps=self.scored_steps(),
        )

    def scored_steps(self) -> list[int] | None:
        """The input steps whose outputs training scores (None: the last). A seq2seq model
        scores every step, or with a ``norm`` the steps of the window's second half: the
        normalisation's statistics come from the rows before them (``norm_rows``)."""
        if self.strategy != "seq2seq":
            return None
        steps = self.output_steps(self.input_len)
        return steps if self.norm == "none" else [t for t in steps if t >= self.input_len // 2]

    def norm_rows(self) -> int | None:
        """The leading rows of a window whose statistics normalise it (``norm``): up to the
        first scored step, so a step's forecast learns nothing from the statistics of the
        values it predicts; a forecast takes them from the same rows of its input window.
        None (every row) when training scores the last step alone, or without a norm."""
        steps = self.scored_steps()
        return None if steps is None or self.norm == "none" else steps[0] + 1

    # --- checkpoints ------------------------------------------------------------------------

    def save(self, path: str | Path, *, data_source: dict[str, Any] | None = None) -> None:
        """Write a checkpoint: parameters, the (best) weights, the input channels, the
        training history and the state to resume training from; ``data_source`` records
        where the data came from (``seqcast.data.sources.DataSource.to_dict``)."""
        if not hasattr(self, "trained_"):
            raise SeqcastError(f"{self.name} is not fitted; nothing to save")
        trained = self.trained_
        write_checkpoint(
            path,
            self,
            trained.channels,
            trained.module.state_dict(),
            trained.history,
            trained.state,
            data_source,
            trained.trained_on,
        )

    @classmethod
    def from_checkpoint(cls, payload: dict[str, Any], path: str | Path) -> NeuralForecaster:
        """A fitted forecaster from a checkpoint's content (``predict`` then needs
        ``history=``); ``path`` names the file in errors."""
        from pandas.tseries.frequencies import to_offset

        model = create_model(payload["model"], **from_plain(payload["params"]))
        if not isinstance(model, NeuralForecaster):
            raise SeqcastError(f"{path} holds a {payload['model']} model, not a neural one")
        model.targets_ = list(payload["targets"])
        model.series_ids_ = [] if payload.get("panel") else None
        model.freq_ = to_offset(payload["freq"])
        channels = Channels.from_dict(payload)
        module = model.network(channels, len(model.targets_))
        model.trained_ = read_network(payload, module, channels, path)
        return model

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto") -> NeuralForecaster:
        """A fitted forecaster from a checkpoint file, its network on ``device``
        (``seqcast.load_model`` does this for any model that can be saved)."""
        from seqcast.checkpoint import load_checkpoint

        return cls.from_checkpoint(load_checkpoint(path), path).to_device(device)

    def to_device(self: N, device: str) -> N:
        """Move the trained network to ``device`` (``train.device``'s forms: ``auto``,
        ``cpu``, ``cuda``, ``cuda:N``, ``mps``); it forecasts there from now on."""
        from seqcast import devices

        if not hasattr(self, "trained_"):
            raise SeqcastError(f"{self.name} is not fitted; nothing to move")
        self.trained_.module.to(devices.resolve(device))
        return self

    # --- internals ------------------------------------------------------------------------

    def _check_horizon(self, n: int) -> None:
        if self.strategy != "recursive" and n > self.horizon:
            raise SeqcastError(
                f"{self.name} was trained to forecast {self.horizon} steps "
                f"({self.strategy}); asked for {n}. Refit with horizon={n} or "
                "use the recursive strategy"
            )
        if (
            self.strategy == "recursive"
            and n > 1
            and len(self.trained_.channels.numeric) > len(self.targets_)
        ):
            raise SeqcastError(
                f"{self.name}: a recursive forecast beyond one step cannot "
                "predict the covariates it feeds on; use direct or seq2seq"
            )


def input_lengths(season: int, horizon: int) -> list[int]:
    """The input lengths a search tries: {h, 2h, 4s, 7s}, each at least 2, without repeats."""
    return sorted({max(2, n) for n in (horizon, 2 * horizon, 4 * season, 7 * season)})
