"""SegRNN (Lin et al. 2023) as a forecaster: a recurrent network over segments of the
window, not its steps (the network and how it works: ``seqcast.networks.segrnn``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.neural_settings import Strategy
from seqcast.models.registry import register_model
from seqcast.networks import Norm
from seqcast.train_config import DISTRIBUTION_LOSSES

Cell = Literal["rnn", "gru", "lstm"]
Decoder = Literal["pmf", "rmf"]


@register_model("segrnn")
@dataclass
class SegRNN(NeuralForecaster):
    """SegRNN over the target columns (and any covariates, as further channels), forecasting
    H steps at once. Parameters beyond the shared ones:

    seg_len : w, the segment length; it must divide input_len and horizon.
    hidden_size : d, the embedding and recurrent width.
    cell : ``gru`` (the paper's), ``lstm`` or ``rnn``.
    decoder : ``pmf`` (parallel, the paper's) or ``rmf`` (recurrent).
    channel_id : PMF queries hold a per-channel embedding beside the position.
    dropout : before the output Linear(d, w).
    norm : ``last`` (subtract the window's last value; the paper's), ``revin`` (without
        affine weights, as SegRNN uses it), ``mean`` or ``none``: SegRNN normalises itself.
    """

    input_len: int = 96
    horizon: int = 24
    strategy: Strategy = "direct"
    seg_len: int = 24
    hidden_size: int = 512
    cell: Cell = "gru"
    decoder: Decoder = "pmf"
    channel_id: bool = True
    dropout: float = 0.1
    norm: Norm = "last"

    normalises_itself: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.strategy != "direct":
            raise SeqcastError("segrnn forecasts all H steps at once; use strategy=direct")
        super().__post_init__()
        if self.known_ahead:
            raise SeqcastError("segrnn takes numeric channels only; it has no known_ahead input")
        if self.seg_len < 1 or self.input_len % self.seg_len or self.horizon % self.seg_len:
            raise SeqcastError(
                f"segrnn: seg_len {self.seg_len} must divide input_len {self.input_len} "
                f"and horizon {self.horizon}"
            )
        checks = [
            (self.hidden_size >= 2, "hidden_size must be at least 2"),
            (
                self.decoder == "pmf" or self.train.loss not in DISTRIBUTION_LOSSES,
                f"the rmf decoder feeds back its segments; use decoder=pmf with a "
                f"{self.train.loss} loss",
            ),
            (0 <= self.dropout < 1, "dropout must lie in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise SeqcastError(f"segrnn: {message}")

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """Segments of the largest divisor of H up to the season, the input of the other
        neural models rounded up to whole segments, d = 64, and their training. On a
        panel, d = 128 and RevIN instead of SegRNN's last-value norm (M4 Hourly's
        validation OWA: 0.542 against 0.919)."""
        seg_len = max(w for w in range(1, min(horizon, max(season, 1)) + 1) if horizon % w == 0)
        defaults = super().defaults_for(season, horizon, panel=panel)
        length = defaults["input_len"]
        return {
            **defaults,
            "input_len": -(-length // seg_len) * seg_len,
            "seg_len": seg_len,
            "hidden_size": 128 if panel else 64,
            **({"norm": "revin"} if panel else {}),
        }

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Hidden size {64, 128, 256, 512} (and 1,024 when ``wide``), dropout 0..0.5, and a
        segment length among {s/2, s, 2s} that divides the input and the horizon (12 and 24
        for hourly data)."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [64, 128, 256, 512, *([1024] if wide else [])]
        )
        params["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        lengths = [
            n
            for n in (season // 2, season, 2 * season)
            if n >= 1 and params["input_len"] % n == 0 and horizon % n == 0
        ]
        if lengths:
            params["seg_len"] = trial.suggest_categorical(f"seg_len_{params['input_len']}", lengths)
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.segrnn import SegRNNNet

        return SegRNNNet(
            self.input_len,
            self.horizon,
            n_inputs,
            n_targets,
            seg_len=self.seg_len,
            hidden_size=self.hidden_size,
            cell=self.cell,
            decoder=self.decoder,
            channel_id=self.channel_id,
            dropout=self.dropout,
            norm=self.norm,
            head=self.head,
        )
