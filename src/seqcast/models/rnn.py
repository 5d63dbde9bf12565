"""Recurrent forecasters: simple RNN (tanh), LSTM, GRU and the layer-normalised RNN.

Symbols: B batch, L input length, C input channels, d hidden size, D directions, O outputs
per step (H·K). Modules map (B, L, C) to (B, L, O): a dense head on every step's output.

Torch's fused layers serve the plain cases; a single-direction GRU trains through
``seqcast.models.gru_sequence`` (the same function with a hand-written backward, about 0.6x
the epoch time of torch's CPU GRU at ridership size). Recurrent dropout (one dropout mask on the
hidden state, kept across the steps of a sequence) and the layer-normalised cell are not in
torch, so they run a step loop whose input projections for all L steps are one matrix
product before the loop; only h @ W_hh and the gates remain per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model

Kind = Literal["rnn", "lstm", "gru"]
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _modules() -> Any:
    import torch
    from torch import nn

    from seqcast.models.gru_sequence import gru_layers

    class LoopLayer(nn.Module):
        """One direction of one recurrent layer as a step loop.

        Inputs: x (B, L, C_in). Outputs: (B, L, d).
        """

        def __init__(
            self, kind: str, n_in: int, hidden: int, layer_norm: bool, recurrent_dropout: float
        ) -> None:
            super().__init__()
            self.kind, self.hidden, self.recurrent_dropout = kind, hidden, recurrent_dropout
            self.input_proj = nn.Linear(n_in, GATES[kind] * hidden)
            self.hidden_proj = nn.Linear(hidden, GATES[kind] * hidden, bias=kind == "gru")
            self.norm = nn.LayerNorm(hidden) if layer_norm else None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            batch, length, _ = x.shape
            projected = self.input_proj(x)  # (B, L, G*d): every step in one product
            h = x.new_zeros(batch, self.hidden)
            c = x.new_zeros(batch, self.hidden)
            mask = None
            if self.training and self.recurrent_dropout > 0:
                keep = 1 - self.recurrent_dropout
                mask = torch.bernoulli(x.new_full((batch, self.hidden), keep)) / keep
            outputs = []
            for t in range(length):
                recurrent = self.hidden_proj(h if mask is None else h * mask)  # (B, G*d)
                step = projected[:, t]
                if self.kind == "rnn":
                    z = step + recurrent
                    h = torch.tanh(self.norm(z) if self.norm is not None else z)
                elif self.kind == "gru":
                    x_r, x_z, x_n = step.chunk(3, dim=-1)
                    h_r, h_z, h_n = recurrent.chunk(3, dim=-1)
                    r = torch.sigmoid(x_r + h_r)
                    z = torch.sigmoid(x_z + h_z)
                    h = (1 - z) * torch.tanh(x_n + r * h_n) + z * h
                else:
                    i, f, g, o = (step + recurrent).chunk(4, dim=-1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                outputs.append(h)
            return torch.stack(outputs, dim=1)  # (B, L, d)

    class RecurrentNet(nn.Module):
        """Stacked (optionally bidirectional) recurrent layers and a per-step dense head.

        Inputs: x (B, L, C). Outputs: (B, L, O), or the last layer's hidden state itself
        when there is no head (d must then equal O).
        """

        def __init__(
            self,
            kind: str,
            n_in: int,
            hidden: int,
            layers: int,
            bidirectional: bool,
            dropout: float,
            recurrent_dropout: float,
            layer_norm: bool,
            n_out: int,
            head: bool,
        ) -> None:
            super().__init__()
            self.input_dropout = nn.Dropout(dropout)
            self.fused: nn.Module | None = None
            directions = 2 if bidirectional else 1
            if recurrent_dropout == 0 and not layer_norm:
                fused = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
                self.fused = fused(
                    n_in,
                    hidden,
                    num_layers=layers,
                    batch_first=True,
                    dropout=dropout if layers > 1 else 0.0,
                    bidirectional=bidirectional,
                )
            else:
                self.loops = nn.ModuleList()
                for layer in range(layers):
                    width = n_in if layer == 0 else hidden * directions
                    self.loops.append(
                        nn.ModuleList(
                            [
                                LoopLayer(kind, width, hidden, layer_norm, recurrent_dropout)
                                for _ in range(directions)
                            ]
                        )
                    )
                self.between = nn.Dropout(dropout)
            self.head = nn.Linear(hidden * directions, n_out) if head else None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.input_dropout(x)  # (B, L, C)
            if (
                isinstance(self.fused, nn.GRU)
                and not self.fused.bidirectional
                and (torch.is_grad_enabled())
            ):
                out = gru_layers(self.fused, x)  # same function, less autograd bookkeeping
            elif self.fused is not None:
                out, _ = self.fused(x)  # (B, L, D*d)
            else:
                out = x
                for index, layer in enumerate(self.loops):
                    if index > 0:
                        out = self.between(out)
                    directions = list(layer.children())  # forward, then backward if bidirectional
                    parts = [directions[0](out)]
                    if len(directions) == 2:
                        parts.append(directions[1](out.flip(1)).flip(1))
                    out = torch.cat(parts, dim=-1)  # (B, L, D*d)
            return out if self.head is None else self.head(out)  # (B, L, O)

    return RecurrentNet


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
    """

    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    dense_head: bool = True

    kind: ClassVar[str] = "rnn"
    layer_norm: ClassVar[bool] = False
    sequence_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hidden_size < 1 or self.num_layers < 1:
            raise SeqcastError(f"{self.name}: hidden_size and num_layers must be at least 1")
        for name in ("dropout", "recurrent_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise SeqcastError(f"{self.name}: {name} must lie in [0, 1)")
        if self.bidirectional and self.strategy == "seq2seq":
            raise SeqcastError(
                f"{self.name}: a bidirectional network would read each step's "
                "targets in seq2seq training; use direct or recursive"
            )

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        if not self.dense_head and self.hidden_size * (2 if self.bidirectional else 1) != n_outputs:
            raise SeqcastError(
                f"{self.name}: without a dense head the hidden size must equal "
                f"the {n_outputs} outputs"
            )
        return _modules()(
            self.kind,
            n_inputs,
            self.hidden_size,
            self.num_layers,
            self.bidirectional,
            self.dropout,
            self.recurrent_dropout,
            self.layer_norm,
            n_outputs,
            self.dense_head,
        )


@register_model("rnn")
@dataclass
class SimpleRNN(_Recurrent):
    """Elman RNN with tanh (torch.nn.RNN), a dense head per step."""


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
