"""Recurrent networks: stacked simple RNN (tanh), LSTM or GRU layers with a dense head.

Symbols: B batch, L input length, C input channels, d hidden size, D directions, O outputs
per step.

Torch's fused layers serve the plain cases; on the CPU a single-direction GRU trains through
``seqcast.networks.gru_sequence`` (the same function with a hand-written backward, about
0.6x the epoch time of torch's CPU GRU at ridership size); on a GPU the same weights run in
cuDNN's layer, which is faster there (2.3 ms against 10.1 ms per step on an H200).
Recurrent dropout (one dropout mask on the hidden state, kept across the steps of a
sequence) and the layer-normalised cell are not in torch, so they run a step loop
(``LoopLayer``) whose input projections for all L steps are one matrix product before the
loop; only h @ W_hh and the gates remain per step.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from seqcast.networks import steppable, stepper
from seqcast.networks.cells import GATES, State, step
from seqcast.networks.gru_sequence import gru_layers


class LoopLayer(nn.Module):
    """One direction of one recurrent layer as a step loop (``seqcast.networks.cells``).

    Inputs: x (B, L, input_size). Outputs: (B, L, hidden_size).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: str = "rnn",
        layer_norm: bool = False,
        recurrent_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.cell, self.hidden_size, self.recurrent_dropout = cell, hidden_size, recurrent_dropout
        self.input_proj = nn.Linear(input_size, GATES[cell] * hidden_size)
        self.hidden_proj = nn.Linear(hidden_size, GATES[cell] * hidden_size, bias=cell == "gru")
        self.norm = nn.LayerNorm(hidden_size) if layer_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        projected = self.input_proj(x)  # (B, L, G*d): every step in one product
        h = x.new_zeros(batch, self.hidden_size)
        state: State = (h, h) if self.cell == "lstm" else h
        mask = None
        if self.training and self.recurrent_dropout > 0:
            keep = 1 - self.recurrent_dropout
            mask = torch.bernoulli(x.new_full((batch, self.hidden_size), keep)) / keep
        outputs = []
        for t in range(length):
            recurrent = self.hidden_proj(h if mask is None else h * mask)  # (B, G*d)
            state = step(self.cell, projected[:, t], recurrent, state, self.norm)
            h = state[0] if isinstance(state, tuple) else state
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, L, d)


class RecurrentNet(nn.Module):
    """Stacked (optionally bidirectional) recurrent layers and a per-step dense head.

    Inputs: x (B, L, input_size). Outputs: (B, L, output_size), or the last layer's hidden
    states themselves when ``head`` is False (D·hidden_size must then equal output_size).

    cell : ``rnn`` (tanh), ``lstm`` or ``gru``.
    dropout : on the inputs of every layer.
    recurrent_dropout : on the hidden state between steps (one mask per sequence).
    layer_norm : LayerNorm between the cell's linear combination and its activation.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        cell: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        head: bool = True,
    ) -> None:
        super().__init__()
        self.input_dropout = nn.Dropout(dropout)
        self.fused: nn.Module | None = None
        directions = 2 if bidirectional else 1
        if recurrent_dropout == 0 and not layer_norm:
            fused = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
            self.fused = fused(
                input_size,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
                bidirectional=bidirectional,
            )
        else:
            self.loops = nn.ModuleList(
                nn.ModuleList(
                    LoopLayer(
                        input_size if layer == 0 else hidden_size * directions,
                        hidden_size,
                        cell,
                        layer_norm,
                        recurrent_dropout,
                    )
                    for _ in range(directions)
                )
                for layer in range(num_layers)
            )
            self.between = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * directions, output_size) if head else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_dropout(x)  # (B, L, C)
        if (
            isinstance(self.fused, nn.GRU)
            and not self.fused.bidirectional
            and torch.is_grad_enabled()
            and x.device.type == "cpu"
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

    @property
    def steppable(self) -> bool:
        """Torch's fused layers carry their state; forward only."""
        return self.fused is not None and not self.fused.bidirectional

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """``forward``'s outputs (B, L, O) in eval mode and the layers' last state."""
        return self.step(x, None)

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Outputs (B, S, O) for rows x (B, S, C) that follow ``state``, and the new state."""
        assert self.fused is not None, "only fused layers step"
        out, state = self.fused(x, state)
        return (out if self.head is None else self.head(out)), state


class Lagged(nn.Module):
    """``net`` given, beside each row's channels, its K target channels ``lags`` steps
    before the value the row predicts (DeepAR's lagged inputs, counted as the paper counts
    them: the row at t predicts t + 1, so lag 24 is the value at t + 1 - 24, a day before
    the predicted hour; lag 1 would be the row's own value; 0 before the window's start).

    Inputs: x (B, L, C). Outputs: ``net``'s, given (B, L, C + K·len(lags)).
    """

    def __init__(self, net: nn.Module, lags: tuple[int, ...], num_targets: int) -> None:
        super().__init__()
        if min(lags) < 2:
            raise ValueError(f"lags start at 2 (lag 1 is the row's own value), got {lags}")
        self.net, self.lags, self.num_targets = net, lags, num_targets
        self.shifts = tuple(lag - 1 for lag in lags)  # rows back from the current one

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self._with_lags(x))

    @property
    def steppable(self) -> bool:
        return steppable(self.net)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """Outputs (B, L, O) and the state: the last M = max(lags) - 1 target rows
        (B, M, K), zeros before the window's start, with the net's state."""
        out, inner = stepper(self.net).encode(self._with_lags(x))
        return out, (self._history(x.new_zeros(x.shape[0], 0, self.num_targets), x), inner)

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Outputs (B, 1, O) for the next row x (B, 1, C), and the new state."""
        history, inner = state  # (B, M, K): rows t - M .. t - 1
        deepest = history.shape[1]
        lagged = [history[:, deepest - back : deepest - back + 1] for back in self.shifts]
        out, inner = stepper(self.net).step(torch.cat([x, *lagged], dim=-1), inner)
        return out, (self._history(history, x), inner)

    def _with_lags(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C + K·len(lags)): each row with its targets ``lags`` - 1 rows earlier."""
        targets = x[..., : self.num_targets]  # (B, L, K)
        length = x.shape[1]
        shifted = [F.pad(targets, (0, 0, back, 0))[:, :length] for back in self.shifts]
        return torch.cat([x, *shifted], dim=-1)

    def _history(self, history: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(B, M, K) the last M = max(lags) - 1 target rows of ``history`` then ``x``,
        zeros before the first."""
        deepest = max(self.shifts)
        zeros = x.new_zeros(x.shape[0], deepest, self.num_targets)
        return torch.cat([zeros, history, x[..., : self.num_targets]], dim=1)[:, -deepest:]
