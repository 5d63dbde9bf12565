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

from dataclasses import dataclass
from typing import Any, Literal

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster, Strategy
from seqcast.models.registry import register_model

Cell = Literal["rnn", "gru", "lstm"]
Decoder = Literal["pmf", "rmf"]
Norm = Literal["last", "revin"]


def _modules() -> Any:
    import torch
    from torch import nn

    class LastValueNorm(nn.Module):
        """Subtract each channel's last value; ``restore`` adds it back. (B, L, C) -> same."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.last = x[:, -1:, :].detach()  # (B, 1, C)
            return x - self.last

        def restore(self, y: torch.Tensor) -> torch.Tensor:
            return y + self.last

    class RevIN(nn.Module):
        """Reversible instance normalisation without affine weights (as SegRNN uses it):
        each window's channels to mean 0, deviation 1; ``restore`` undoes it."""

        def __init__(self, eps: float = 1e-5) -> None:
            super().__init__()
            self.eps = eps

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.mean = x.mean(1, keepdim=True).detach()  # (B, 1, C)
            self.std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
            return (x - self.mean) / self.std

        def restore(self, y: torch.Tensor) -> torch.Tensor:
            return y * self.std + self.mean

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

        def __init__(self, channels: int) -> None:
            super().__init__()
            self.channels = channels

        def forward(self, y: torch.Tensor) -> torch.Tensor:
            series = y.reshape(-1, self.channels, y.shape[1] * y.shape[2])  # (B, C, H)
            return series.transpose(1, 2)  # (B, H, C)

    class Encoder(nn.Module):
        """The recurrent layer over the segments. (B*C, n, d) -> h_n (1, B*C, d), or (h_n, c_n)
        for an LSTM. The decoders reuse its weights."""

        def __init__(self, cell: str, hidden: int) -> None:
            super().__init__()
            kinds = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
            self.cell = cell
            self.rnn = kinds[cell](hidden, hidden, batch_first=True)

        def forward(self, x: torch.Tensor) -> Any:
            return self.rnn(x)[1]

        def step(self, gi: torch.Tensor, state: Any) -> Any:
            """One recurrent step from input projections ``gi`` (..., G) that broadcast
            against the state's (..., d); returns the new state (h, or (h, c))."""
            rnn = self.rnn
            h = state[0] if self.cell == "lstm" else state
            gh = torch.nn.functional.linear(h, rnn.weight_hh_l0, rnn.bias_hh_l0)  # (..., G)
            if self.cell == "rnn":
                return torch.tanh(gi + gh)
            if self.cell == "gru":
                i_r, i_z, i_n = gi.chunk(3, dim=-1)
                h_r, h_z, h_n = gh.chunk(3, dim=-1)
                r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
                n = torch.tanh(i_n + r * h_n)
                return n + z * (h - n)
            i, f, g, o = (gi + gh).chunk(4, dim=-1)
            c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c

        def project(self, x: torch.Tensor) -> torch.Tensor:
            """Input projections W_ih x + b_ih: (..., d) -> (..., G)."""
            return torch.nn.functional.linear(x, self.rnn.weight_ih_l0, self.rnn.bias_ih_l0)

    class PMFDecoder(nn.Module):
        """All m output segments from h_n in one recurrent step.

        Inputs: h_n (1, B*C, d) (or (h_n, c_n)). Outputs: states (B*C, m, d).
        """

        def __init__(self, segments: int, channels: int, hidden: int, channel_id: bool) -> None:
            super().__init__()
            self.channels, self.channel_id = channels, channel_id
            width = hidden // 2 if channel_id else hidden
            self.pos_emb = nn.Parameter(torch.randn(segments, width))
            self.channel_emb = (
                nn.Parameter(torch.randn(channels, hidden - width)) if channel_id else None
            )

        def forward(self, state: Any, encoder: Encoder) -> torch.Tensor:
            segments = self.pos_emb.shape[0]
            if self.channel_emb is not None:
                queries = torch.cat(
                    [
                        self.pos_emb[None].expand(self.channels, -1, -1),  # (C, m, d/2)
                        self.channel_emb[:, None].expand(-1, segments, -1),  # (C, m, d/2)
                    ],
                    dim=-1,
                )  # (C, m, d)
            else:
                queries = self.pos_emb[None]  # (1, m, d)
            gi = encoder.project(queries)[None]  # (1, C or 1, m, G): once, not per batch row

            def spread(t: torch.Tensor) -> torch.Tensor:  # (1, B*C, d) -> (B, C, 1, d)
                return t[0].view(-1, self.channels, 1, t.shape[-1])

            lstm = isinstance(state, tuple)
            start = (spread(state[0]), spread(state[1])) if lstm else spread(state)
            out = encoder.step(gi, start)  # broadcasts to (B, C, m, d)
            h = out[0] if lstm else out
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

        Inputs: x (B, L, C). Outputs: (B, 1, H*K), the first K channels' forecasts.
        """

        def __init__(
            self,
            length: int,
            horizon: int,
            channels: int,
            k: int,
            seg_len: int,
            hidden: int,
            cell: str,
            decoder: str,
            channel_id: bool,
            dropout: float,
            norm: str,
        ) -> None:
            super().__init__()
            self.k = k
            segments_out = horizon // seg_len
            self.norm = LastValueNorm() if norm == "last" else RevIN()
            self.segment = Segment(seg_len)
            self.embed = nn.Sequential(nn.Linear(seg_len, hidden), nn.ReLU())
            self.encoder = Encoder(cell, hidden)
            self.decoder: nn.Module = (
                PMFDecoder(segments_out, channels, hidden, channel_id)
                if decoder == "pmf"
                else RMFDecoder(segments_out)
            )
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, seg_len))
            self.unsegment = Unsegment(channels)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            segments = self.segment(self.norm(x))  # (B*C, n, w)
            state = self.encoder(self.embed(segments))  # (1, B*C, d)
            if isinstance(self.decoder, PMFDecoder):
                out = self.head(self.decoder(state, self.encoder))  # (B*C, m, w)
            else:
                out = self.decoder(state, self.encoder, self.embed, self.head)  # (B*C, m, w)
            y = self.norm.restore(self.unsegment(out))  # (B, H, C)
            return y[..., : self.k].flatten(1)[:, None]  # (B, 1, H*K)

    return SegRNNNet


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
    norm : ``last`` (subtract the window's last value) or ``revin``.
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
            (0 <= self.dropout < 1, "dropout must lie in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise SeqcastError(f"segrnn: {message}")

    @classmethod
    def defaults_for(cls, season: int, horizon: int) -> dict[str, Any]:
        """Segments of the largest divisor of H up to the season, two seasons of input
        (rounded up to whole segments), d = 64, and the short benchmark training."""
        seg_len = max(w for w in range(1, min(horizon, max(season, 1)) + 1) if horizon % w == 0)
        length = max(2 * season, 24)
        return {
            **super().defaults_for(season, horizon),
            "input_len": -(-length // seg_len) * seg_len,
            "seg_len": seg_len,
            "hidden_size": 64,
        }

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()(
            self.input_len,
            self.horizon,
            n_inputs,
            len(self.targets_),
            self.seg_len,
            self.hidden_size,
            self.cell,
            self.decoder,
            self.channel_id,
            self.dropout,
            self.norm,
        )
