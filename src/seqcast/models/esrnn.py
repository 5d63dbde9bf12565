"""ES-RNN (Smyl 2020, the M4 winner): per-series Holt-Winters smoothing and one global
dilated LSTM stack, trained together (the network is ``seqcast.networks.esrnn.ESRNNNet``).

The paper's settings per M4 frequency (``SETTINGS``, by the season's length) are those of
Smyl's competition code as the PyTorch port kdgutier/esrnn_torch restates them
(configs/Hourly.yaml, Monthly.yaml, Quarterly.yaml, Yearly.yaml): seasons, the LSTM's input
steps, dilations, state size, level penalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from seqcast.data.panel import is_panel, iter_series
from seqcast.errors import SeqcastError
from seqcast.models.channels import Channels, refuse_non_positive
from seqcast.models.neural import NeuralForecaster
from seqcast.models.neural_settings import Scaling, Strategy
from seqcast.models.registry import register_model
from seqcast.networks import Norm

NEEDS_POSITIVE = (
    "esrnn's multiplicative smoothing needs values above 0 (set scaling=positive to shift them)"
)

# season -> the paper's settings (M4 Hourly, Monthly, Quarterly, Yearly)
SETTINGS: dict[int, dict[str, Any]] = {
    24: {"seasons": (24, 168), "window": 24, "dilations": (1, 4, 24, 168), "hidden_size": 40,
         "level_penalty": 30.0},
    12: {"seasons": (12,), "window": 12, "dilations": (1, 3, 6, 12), "hidden_size": 50,
         "level_penalty": 50.0},
    4: {"seasons": (4,), "window": 4, "dilations": (1, 2, 4, 8), "hidden_size": 40,
        "level_penalty": 100.0},
    1: {"seasons": (), "window": 4, "dilations": (1, 6), "hidden_size": 40,
        "level_penalty": 100.0},
}  # fmt: skip


@register_model("esrnn")
@dataclass
class ESRNN(NeuralForecaster):
    """ES-RNN. Each series (each target column of it) has its own Holt-Winters level
    smoothing coefficient, seasonal smoothing coefficients and initial seasonal indices
    (learned embeddings; the indices are read from the calendar phase of a window's first
    step, so any window of the series starts from the same seasonal pattern). Over each
    window of ``input_len`` steps the smoothing gives levels and seasonal indices; the
    LSTM stack reads, at every position from ``window`` - 1 on, the last ``window`` values
    divided by the level there and deseasonalised, in logs, and forecasts the next
    ``horizon`` such values; they are multiplied back. Every position is scored (as
    Smyl's training scores every step of a series), plus the level-wiggliness penalty.

    seasons : seasonal lengths, at most two, the second a multiple of the first (hourly
        data: 24 and 168); () for none.
    window : the steps the LSTM reads at each position (the paper's input size).
    hidden_size : the LSTM's state size.
    dilations : one LSTM layer per entry, step t reading step t - d's state.
    block_layers : layers per residual block (each block after the first adds its input).
    level_penalty : weight of the mean squared second difference of the log level.
    spread : the LSTM also reads each input window's spread (the standard deviation of its
        w log values, kept within 0.001 and 1), and its outputs (a point's or quantiles'
        log values) are in units of that spread: a smooth series' forecast moves by a
        fraction of its small spread, not by the network's noise. On M4 Hourly's
        validation split its smooth daily cycles (H187, H182) forecast at MASE 4-6 with it,
        3.7-22 without (the run-to-run spread of that noise).

    The initial seasonal indices of each series start from its average seasonal pattern in
    the training data (``seasonal_profiles``), not from 1: the weekly table of a series that
    is 50 times busier on weekdays than at weekends otherwise learns too little of it in
    the updates its windows give it (on M4 Hourly's spiky traffic series, sMAPE 22-39 %
    against 28-56 % on the validation split).

    Values must be above 0 (multiplicative smoothing): ``scaling`` positive (the default)
    leaves such data as it is and shifts other data above 0; ``none`` refuses it.
    ``train.loss`` may be a point loss, ``quantile`` (the paper's quantile outputs: the
    quantiles stay ordered through the exp, level and season) or a distribution (normal,
    student_t, negbin) of the values over level x season. The model reads its
    targets alone: no covariates, known-ahead or static columns, no ``id_embedding``.
    """

    seasons: tuple[int, ...] = ()
    window: int = 4
    hidden_size: int = 40
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    block_layers: int = 2
    level_penalty: float = 50.0
    spread: bool = True
    input_len: int = 32
    horizon: int = 8
    strategy: Strategy = "direct"
    scaling: Scaling = "positive"
    norm: Norm = "none"

    normalises_itself: ClassVar[bool] = True
    sequence_output: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.seasons = tuple(self.seasons)
        self.dilations = tuple(self.dilations)
        self.require_positive("window", "hidden_size", "block_layers")
        checks = [
            (self.strategy == "direct", "strategy must be direct (H values from each position)"),
            (self.window <= self.input_len, f"window ({self.window}) must fit in input_len "
             f"({self.input_len})"),
            (len(self.seasons) <= 2, "seasons takes at most two lengths"),
            (all(m >= 2 for m in self.seasons), "each season must be at least 2 steps"),
            (len(self.seasons) < 2 or self.seasons[1] % self.seasons[0] == 0,
             "the second season must be a multiple of the first (24 and 168)"),
            (len(self.dilations) > 0 and min(self.dilations) >= 1,
             "dilations must be one or more positive steps"),
            (self.level_penalty >= 0, "level_penalty must be 0 or more"),
            (self.norm == "none", "norm must be none: the smoothing normalises each window"),
            (self.scaling in ("positive", "none"),
             "scaling must be positive or none: the smoothing multiplies, so values stay above 0"),
            (not (self.covariates or self.known_ahead or self.static),
             "it reads its targets alone (no covariates, known_ahead or static columns)"),
            (self.id_embedding == 0, "each series has its own smoothing; set id_embedding=0"),
        ]  # fmt: skip
        for ok, why in checks:
            if not ok:
                raise SeqcastError(f"esrnn: {why}")

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """The paper's settings for the season (``SETTINGS``; another season m gets seasons
        (m,), an input of m steps and dilations 1, 2, m, 2m), H values from each position,
        and windows of ``window`` - 1 + max(2 x the largest dilation, 4 H, 16) steps; the
        sMAPE loss (relative errors, as the paper's pinball loss in logs: on M4 Hourly's
        validation split OWA 0.527 against 0.571 with MAE), learning rate 3e-3, gradients
        clipped at 20, patience 5. On a panel: batches of 32 windows, 2,000 windows an
        epoch (each scores every position), 30 epochs at most, patience 10, and the weights
        of the five best epochs averaged (``train.average_epochs``; Smyl averaged his last
        epochs' forecasts; on M4 Hourly's validation split OWA 0.508 against 0.532 for the
        best epoch alone, at no cost), in an ensemble of two networks (Smyl averaged
        several; on M4 Hourly's test file OWA 0.463 ± 0.002 against 0.474 ± 0.005 for one,
        three seeds, 371-478 s a run on 2 cores)."""
        settings = dict(SETTINGS.get(season) or _generic(season))
        length = settings["window"] - 1 + max(2 * max(settings["dilations"]), 4 * horizon, 16)
        train: dict[str, Any] = {
            "epochs": 50,
            "patience": 5,
            "lr": 3e-3,
            "clip_norm": 20.0,
            "loss": "smape",
        }
        if panel:
            panel_train = {"epochs": 30, "batch_size": 32, "windows_per_epoch": 2_000}
            train = {**train, **panel_train, "average_epochs": 5, "patience": 10}
            settings["ensemble"] = 2
        return {**settings, "input_len": length, "horizon": horizon, "train": train}

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """The learning rate and batch size of every neural model, the state size from {32,
        40, 64} (and 128 when ``wide``) and the level penalty log-uniformly from 1 to 100;
        the window, seasons and dilations stay the paper's."""
        params = super().search_space(trial, season, horizon, wide=wide)
        del params["input_len"]  # tied to the dilations
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [32, 40, 64, *([128] if wide else [])]
        )
        params["level_penalty"] = trial.suggest_float("level_penalty", 1.0, 100.0, log=True)
        return params

    def output_steps(self, length: int) -> list[int]:
        """Every position from ``window`` - 1 on."""
        return list(range(self.window - 1, length))

    def scored_steps(self) -> list[int] | None:
        """Every position: the smoothing and the network learn from all of them."""
        return self.output_steps(self.input_len)

    def learn_channels(self, data: pd.DataFrame, scaling: str, masked: bool) -> Channels:
        """The targets, the calendar phase (with seasons) and, on a panel, the series
        number; with ``scaling`` none, a value at or below 0 is refused. Also each series'
        average seasonal pattern in the training data (``seasonal_profiles``), which
        the networks built for this fit start their initial seasonal indices from."""
        if scaling == "none":
            refuse_non_positive(data, self.targets_, NEEDS_POSITIVE)
        channels = Channels.learn(
            data,
            list(self.targets_),
            (),
            (),
            scaling,
            numbered=True,
            masked=masked,
            phase_period=max(self.seasons, default=0),
        )
        self.initial_indices_ = seasonal_profiles(data, channels, self.seasons)
        return channels

    def _one_network(self, channels: Channels, n_targets: int) -> Any:
        """The network over ``learn_channels``' channels: one smoothing per series and
        target, the series read from its number's channel, the phase from its own."""
        numbered = channels.series_ids is not None
        network = self._network(
            len(channels.series_ids or []) if numbered else 1,
            n_targets,
            channels.phase_column,
            channels.width - 1 if numbered else None,
        )
        network.smoothing.start_from(getattr(self, "initial_indices_", None) or [])
        return network

    def build(self, n_inputs: int, n_targets: int) -> Any:
        """The network for one series of ``n_targets`` columns and no phase channel (every
        window starts at phase 0), as ``explain`` shows it."""
        return self._network(1, n_targets, None, None)

    def _network(
        self, n_series: int, n_targets: int, phase_column: int | None, series_column: int | None
    ) -> Any:
        from seqcast.networks.esrnn import ESRNNNet

        return ESRNNNet(
            n_series=n_series,
            n_targets=n_targets,
            seasons=self.seasons,
            window=self.window,
            horizon=self.horizon,
            hidden_size=self.hidden_size,
            dilations=self.dilations,
            block_layers=self.block_layers,
            level_penalty=self.level_penalty,
            phase_column=phase_column,
            series_column=series_column,
            head=self.head,
            spread=self.spread,
        )


def seasonal_profiles(
    data: pd.DataFrame, channels: Channels, seasons: tuple[int, ...]
) -> list[np.ndarray]:
    """Per season of length m, an (N·K, m) array: each series' and target's average log
    seasonal index at each calendar phase (mod m) of the values the network sees (the
    channels' scaling applied), row ``number`` x K + target. The values are divided by
    their centred moving average over the longest season, the logs of these ratios
    averaged per phase of the longest season and centred; with two seasons the first's
    indices are those averages' means over the second's cycles, and the second's what is
    left. A series shorter than the longest season, or a phase it never reaches, gets 0."""
    if not seasons:
        return []
    longest = max(seasons)
    frames = iter_series(data) if is_panel(data) else [(None, data)]
    numbers = channels.series_numbers
    k = len(channels.numeric)
    tables = [np.zeros((max(len(numbers), 1) * k, m)) for m in seasons]
    for key, frame in frames:
        features = channels.features(frame, key)  # scaled targets first, the phase mod longest
        phases = features[:, channels.phase_column].astype(np.int64)
        for target in range(k):
            row = numbers.get(key, 0) * k + target
            profile = _log_profile(features[:, target], phases, longest)
            if len(seasons) == 2:
                cycles = longest // seasons[0]
                first = profile.reshape(cycles, seasons[0]).mean(axis=0)
                tables[0][row], tables[1][row] = first, profile - np.tile(first, cycles)
            else:
                tables[0][row] = profile
    return tables


def _log_profile(values: np.ndarray, phases: np.ndarray, m: int) -> np.ndarray:
    """(m,) the mean log ratio of ``values`` (T,) to their centred moving average over m
    steps at each phase 0..m-1 (``phases`` (T,)), centred to a mean of 0."""
    level = pd.Series(values).rolling(m, center=True, min_periods=m).mean().to_numpy()
    ratio = np.log(np.clip(values, 1e-6, None) / np.clip(level, 1e-6, None))
    kept = np.isfinite(ratio)
    sums = np.bincount(phases[kept], weights=ratio[kept], minlength=m)
    counts = np.bincount(phases[kept], minlength=m)
    profile = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return profile - profile[counts > 0].mean() if counts.any() else profile


def _generic(season: int) -> dict[str, Any]:
    """Settings in the paper's pattern for a season it did not run."""
    m = max(season, 1)
    return {
        "seasons": (m,) if m > 1 else (),
        "window": max(m, 4),
        "dilations": (1, 2, m, 2 * m) if m > 2 else (1, 2, 4, 8),
        "hidden_size": 40,
        "level_penalty": 50.0,
    }
