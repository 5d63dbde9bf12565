"""SegRNN as the reference code writes it (lss-1138/SegRNN, ``models/SegRNN.py``, GRU + PMF +
channel ids), rewritten here for timing and for checking seqcast's network against it.

Symbols: B batch, L input length, H horizon, C channels, w segment length, n = L/w,
m = H/w, d hidden size. The decoder repeats h_n m times and runs torch's GRU over B*C*m
one-step sequences, as the reference does.
"""

from __future__ import annotations

import torch
from torch import nn


class ReferenceSegRNN(nn.Module):
    """Inputs: x (B, L, C). Outputs: (B, H, C)."""

    def __init__(
        self, length: int, horizon: int, channels: int, seg_len: int, hidden: int, dropout: float
    ) -> None:
        super().__init__()
        self.channels, self.horizon, self.hidden = channels, horizon, hidden
        self.n, self.m, self.w = length // seg_len, horizon // seg_len, seg_len
        self.value_embedding = nn.Sequential(nn.Linear(seg_len, hidden), nn.ReLU())
        self.rnn = nn.GRU(hidden, hidden, num_layers=1, bias=True, batch_first=True)
        self.pos_emb = nn.Parameter(torch.randn(self.m, hidden // 2))
        self.channel_emb = nn.Parameter(torch.randn(channels, hidden // 2))
        self.predict = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, seg_len))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        last = x[:, -1:, :].detach()  # (B, 1, C)
        x = (x - last).permute(0, 2, 1)  # (B, C, L)
        x = self.value_embedding(x.reshape(-1, self.n, self.w))  # (B*C, n, d)
        _, h_n = self.rnn(x)  # (1, B*C, d)
        queries = (
            torch.cat(
                [
                    self.pos_emb.unsqueeze(0).repeat(self.channels, 1, 1),  # (C, m, d/2)
                    self.channel_emb.unsqueeze(1).repeat(1, self.m, 1),  # (C, m, d/2)
                ],
                dim=-1,
            )
            .view(-1, 1, self.hidden)
            .repeat(batch, 1, 1)
        )  # (B*C*m, 1, d)
        start = h_n.repeat(1, 1, self.m).view(1, -1, self.hidden)  # (1, B*C*m, d)
        _, h_y = self.rnn(queries, start)  # (1, B*C*m, d)
        y = self.predict(h_y).view(-1, self.channels, self.horizon)  # (B, C, H)
        return y.permute(0, 2, 1) + last  # (B, H, C)

    def copy_to(self, net: nn.Module) -> None:
        """Load these weights into a seqcast ``SegRNNNet`` (gru, pmf, channel ids)."""
        state = {
            "embed.0.weight": self.value_embedding[0].weight,
            "embed.0.bias": self.value_embedding[0].bias,
            "decoder.pos_emb": self.pos_emb,
            "decoder.channel_emb": self.channel_emb,
            "head.1.weight": self.predict[1].weight,
            "head.1.bias": self.predict[1].bias,
        }
        for name, value in self.rnn.named_parameters():
            state[f"encoder.rnn.{name}"] = value
        net.load_state_dict({k: v.detach().clone() for k, v in state.items()})
