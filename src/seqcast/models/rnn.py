"""Recurrent forecasters: simple RNN (tanh), LSTM, GRU and the layer-normalised RNN
(the network is ``seqcast.networks.recurrent.RecurrentNet``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model

Kind = Literal["rnn", "lstm", "gru"]


@dataclass
class _Recurrent(NeuralForecaster):
    """Shared parameters of the recurrent forecasters.

    hidden_size : d, units per layer.
    num_layers : stacked layers.
    bidirectional : read the window both ways (not with seq2seq, which would see the future).
    dropout : input dropout of every layer.
    recurrent_dropout : dropout on the hidden state between steps (one mask per sequence).
    dense_head : a Linear(d, H·K) on every step; without it the hidden state is the output
        (the book's SimpleRNN(1)), so d must equal H·K.
    highway : steps of the targets fed straight to the outputs through a linear map added
        to the network's (LSTNet's highway, ``seqcast.networks.highway``); 0: none.
    """

    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    dense_head: bool = True
    highway: int = 0

    kind: ClassVar[str] = "rnn"
    layer_norm: ClassVar[bool] = False
    sequence_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("hidden_size", "num_layers")
        if not 0 <= self.highway <= self.input_len:
            raise SeqcastError(
                f"{self.name}: highway must lie in 0..input_len ({self.input_len}), "
                f"got {self.highway}"
            )
        for name in ("dropout", "recurrent_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise SeqcastError(f"{self.name}: {name} must lie in [0, 1)")
        if self.bidirectional and self.strategy == "seq2seq":
            raise SeqcastError(
                f"{self.name}: a bidirectional network would read each step's "
                "targets in seq2seq training; use direct or recursive"
            )

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """On a panel, the global training settings of every neural model with two seasons
        of input (at least 24 steps; a recurrent network reads a week of hourly data slower
        and no better), 64 units, and a highway over the last season (at least 2 steps)."""
        base = super().defaults_for(season, horizon, panel=panel)
        if not panel:
            return base
        length = max(2 * season, 24)
        return {
            **base,
            "input_len": length,
            "hidden_size": 64,
            "highway": _season_reach(season, length),
        }

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Hidden size {32, 64, 128} (and 256, 512 when ``wide``), 1 or 2 layers, dropout
        between two 0..0.3, a highway over the last season or none."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [32, 64, 128, *([256, 512] if wide else [])]
        )
        params["num_layers"] = trial.suggest_int("num_layers", 1, 2)
        if params["num_layers"] > 1:
            params["dropout"] = trial.suggest_float("dropout", 0.0, 0.3)
        if trial.suggest_categorical("highway", [False, True]):
            params["highway"] = _season_reach(season, params["input_len"])
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.highway import Highway
        from seqcast.networks.recurrent import RecurrentNet

        n_outputs = self.output_width(n_targets)
        if not self.dense_head and self.hidden_size * (2 if self.bidirectional else 1) != n_outputs:
            raise SeqcastError(
                f"{self.name}: without a dense head the hidden size must equal "
                f"the {n_outputs} outputs"
            )
        net = RecurrentNet(
            n_inputs,
            self.hidden_size,
            n_outputs,
            cell=self.kind,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            layer_norm=self.layer_norm,
            head=self.dense_head,
        )
        return Highway(net, self.highway, n_targets, n_outputs) if self.highway else net


def _season_reach(season: int, input_len: int) -> int:
    """A highway's default reach: one season (at least 2 steps), within the input."""
    return min(max(season, 2), input_len)


@register_model("rnn")
@dataclass
class SimpleRNN(_Recurrent):
    """Elman RNN with tanh (torch.nn.RNN), a dense head per step."""

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """The recurrent panel defaults, as an ensemble of three: one simple RNN alone
        lands near seasonal naive on M4 Hourly and three average out its seeds' spread
        (validation 0.603 alone, 0.595 for three; docs/benchmarks.md)."""
        base = super().defaults_for(season, horizon, panel=panel)
        return {**base, "ensemble": 3} if panel else base


@register_model("lstm")
@dataclass
class LSTM(_Recurrent):
    """LSTM (torch.nn.LSTM), a dense head per step."""

    kind: ClassVar[str] = "lstm"


@register_model("gru")
@dataclass
class GRU(_Recurrent):
    """GRU (torch.nn.GRU), a dense head per step."""

    kind: ClassVar[str] = "gru"


@register_model("lnrnn")
@dataclass
class LayerNormRNN(_Recurrent):
    """Simple RNN whose cell normalises the linear combination before tanh:
    h_t = tanh(LayerNorm(W x_t + U h_{t-1} + b))."""

    layer_norm: ClassVar[bool] = True
