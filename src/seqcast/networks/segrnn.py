"""SegRNN (Lin et al. 2023): a recurrent network over segments of the window, not its steps.

Symbols: B batch, L input length, H horizon, C channels, w segment length, n = L/w input
segments, m = H/w output segments, d hidden size, G gates × d.

Each channel is its own series (channel independence): the window, made relative to its
last value (or RevIN-normalised), is cut into n segments of w steps; each segment is
embedded by Linear(w, d)+ReLU; one RNN/GRU/LSTM runs over the n segments. The decoder is

- ``pmf`` (parallel multi-step): every output segment j starts from h_n with the query
  [position j ; channel c] (d/2 each, or a d-wide position alone without channel ids) as
  its input, one recurrent step for all m segments at once, then Dropout + Linear(d, w);
- ``rmf`` (recurrent multi-step): each predicted segment is re-embedded and fed back.

The PMF step is computed without repeating h_n m times, as the reference code does: the
input projection of the queries depends only on (c, j), and the hidden projection only on
(b, c), so each is formed once and the gates broadcast. The arithmetic is the reference's;
its size is m times smaller. The encoder is torch's fused layer: at SegRNN size
(B*C = 448, d = 512) it runs near the speed of its matrix products.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqcast.networks.cells import State, step
from seqcast.networks.heads import Head
from seqcast.networks.norms import WindowNorm, make_norm, restore_params


class Segment(nn.Module):
    """(B, L, C) -> (B*C, n, w): each channel's window cut into n segments."""

    def __init__(self, seg_len: int) -> None:
        super().__init__()
        self.seg_len = seg_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, channels = x.shape
        series = x.permute(0, 2, 1)  # (B, C, L)
        return series.reshape(batch * channels, length // self.seg_len, self.seg_len)


class Unsegment(nn.Module):
    """(B*C, m, w) -> (B, H, C): the output segments joined back into each channel."""

    def __init__(self, num_channels: int) -> None:
        super().__init__()
        self.num_channels = num_channels

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        series = y.reshape(-1, self.num_channels, y.shape[1] * y.shape[2])  # (B, C, H)
        return series.transpose(1, 2)  # (B, H, C)


class Encoder(nn.Module):
    """The recurrent layer over the segments. (B*C, n, d) -> h_n (1, B*C, d), or (h_n, c_n)
    for an LSTM. The decoders reuse its weights."""

    def __init__(self, cell: str, hidden_size: int) -> None:
        super().__init__()
        kinds = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
        self.cell = cell
        self.rnn = kinds[cell](hidden_size, hidden_size, batch_first=True)

    def forward(self, x: torch.Tensor) -> Any:
        return self.rnn(x)[1]

    def step(self, gi: torch.Tensor, state: State) -> State:
        """One recurrent step from input projections ``gi`` (..., G) that broadcast
        against the state's (..., d); returns the new state (h, or (h, c))."""
        h = state[0] if isinstance(state, tuple) else state
        gh = nn.functional.linear(h, self.rnn.weight_hh_l0, self.rnn.bias_hh_l0)  # (..., G)
        return step(self.cell, gi, gh, state)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Input projections W_ih x + b_ih: (..., d) -> (..., G)."""
        return nn.functional.linear(x, self.rnn.weight_ih_l0, self.rnn.bias_ih_l0)


class PMFDecoder(nn.Module):
    """All m output segments from h_n in one recurrent step.

    Inputs: h_n (1, B*C, d) (or (h_n, c_n)). Outputs: states (B*C, m, d).
    """

    def __init__(self, segments: int, num_channels: int, hidden_size: int, channel_id: bool):
        super().__init__()
        self.num_channels, self.channel_id = num_channels, channel_id
        width = hidden_size // 2 if channel_id else hidden_size
        self.pos_emb = nn.Parameter(torch.randn(segments, width))
        self.channel_emb = (
            nn.Parameter(torch.randn(num_channels, hidden_size - width)) if channel_id else None
        )

    def forward(self, state: Any, encoder: Encoder) -> torch.Tensor:
        segments = self.pos_emb.shape[0]
        if self.channel_emb is not None:
            queries = torch.cat(
                [
                    self.pos_emb[None].expand(self.num_channels, -1, -1),  # (C, m, d/2)
                    self.channel_emb[:, None].expand(-1, segments, -1),  # (C, m, d/2)
                ],
                dim=-1,
            )  # (C, m, d)
        else:
            queries = self.pos_emb[None]  # (1, m, d)
        gi = encoder.project(queries)[None]  # (1, C or 1, m, G): once, not per batch row

        def spread(t: torch.Tensor) -> torch.Tensor:  # (1, B*C, d) -> (B, C, 1, d)
            return t[0].view(-1, self.num_channels, 1, t.shape[-1])

        lstm = isinstance(state, tuple)
        start = (spread(state[0]), spread(state[1])) if lstm else spread(state)
        out = encoder.step(gi, start)  # broadcasts to (B, C, m, d)
        h = out[0] if isinstance(out, tuple) else out
        return h.reshape(-1, segments, h.shape[-1])  # (B*C, m, d)


class RMFDecoder(nn.Module):
    """Output segments one after another, each re-embedded and fed back.

    Inputs: h_n (1, B*C, d) (or (h_n, c_n)). Outputs: segments (B*C, m, w).
    """

    def __init__(self, segments: int) -> None:
        super().__init__()
        self.segments = segments

    def forward(
        self, state: Any, encoder: Encoder, embed: nn.Module, head: nn.Module
    ) -> torch.Tensor:
        state = tuple(s[0] for s in state) if isinstance(state, tuple) else state[0]
        outputs = []
        for _ in range(self.segments):
            h = state[0] if isinstance(state, tuple) else state  # (B*C, d)
            segment = head(h)  # (B*C, w)
            outputs.append(segment)
            state = encoder.step(encoder.project(embed(segment)), state)
        return torch.stack(outputs, dim=1)  # (B*C, m, w)


class SegRNNNet(nn.Module):
    """Normalise -> segments -> embed -> RNN over segments -> decode -> denormalise.

    Inputs: x (B, L, C) with C = num_channels. Outputs: (B, 1, H*K), the forecasts of the
    first K = num_targets channels.
    """

    def __init__(
        self,
        input_len: int,
        horizon: int,
        num_channels: int,
        num_targets: int,
        *,
        seg_len: int = 24,
        hidden_size: int = 512,
        cell: str = "gru",
        decoder: str = "pmf",
        channel_id: bool = True,
        dropout: float = 0.1,
        norm: str = "last",
        head: Head | None = None,
    ) -> None:
        super().__init__()
        self.num_targets = num_targets
        self.distribution = head
        params = 1 if head is None else head.params
        segments_out = horizon // seg_len
        self.norm: WindowNorm = make_norm(norm, num_channels, affine=False)  # RevIN: no affine
        self.segment = Segment(seg_len)
        self.embed = nn.Sequential(nn.Linear(seg_len, hidden_size), nn.ReLU())
        self.encoder = Encoder(cell, hidden_size)
        self.decoder: nn.Module = (
            PMFDecoder(segments_out, num_channels, hidden_size, channel_id)
            if decoder == "pmf"
            else RMFDecoder(segments_out)
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, seg_len * params))
        self.unsegment = Unsegment(num_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normalised, stats = self.norm(x)  # (B, L, C)
        segments = self.segment(normalised)  # (B*C, n, w)
        state = self.encoder(self.embed(segments))  # (1, B*C, d)
        if isinstance(self.decoder, PMFDecoder):
            out = self.head(self.decoder(state, self.encoder))  # (B*C, m, w)
        else:
            out = self.decoder(state, self.encoder, self.embed, self.head)  # (B*C, m, w)
        if self.distribution is not None:
            return self._distribution_params(out, stats, x.shape[0])
        y = self.norm.restore(self.unsegment(out), stats)  # (B, H, C)
        return y[..., : self.num_targets].flatten(1)[:, None]  # (B, 1, H*K)

    def _distribution_params(self, out: torch.Tensor, stats: Any, batch: int) -> torch.Tensor:
        """(B*C, m, w·P) decoded segments -> (B, 1, H·P·K): each value's P parameters."""
        head = self.distribution
        assert head is not None
        channels = self.unsegment.num_channels
        raw = out.reshape(batch, channels, -1, head.params)  # (B, C, H, P)
        params = restore_params(self.norm, stats, head, head.link(raw.permute(0, 2, 3, 1)))
        return params[..., : self.num_targets].flatten(1)[:, None]  # (B, 1, H*P*K)
