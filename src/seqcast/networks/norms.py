"""Per-window normalisation that a network undoes on its output.

Symbols: B batch, L input length, H horizon, S output positions, C channels, K forecast
channels (the first K of the normalised ones), O = H·K outputs per position.

Each layer maps a window x (B, L, C) to ``(normalised, stats)`` and ``restore(y, stats)``
maps an output y (B, T, C) back to the window's scale. The statistics travel with the
batch, never on the module, so a module is safe to call from several places at once.

- ``revin``: each channel to mean 0 and deviation 1, then a learned affine w·x + b per
  channel (Kim et al. 2022; ``affine=False`` is SegRNN's variant);
- ``last``: subtract each channel's last value;
- ``mean``: divide each channel by its mean absolute value (DeepAR's mean scaling);
- ``none``: leave the window as it is.

RevIN and mean scaling are scale-equivariant (a series c times larger gets a forecast c
times larger), which lets one network serve series of very different sizes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from seqcast.networks import NORMS, steppable, stepper
from seqcast.networks.heads import Head, rescale
from seqcast.networks.rowwise import RowwiseInput


class WindowNorm(nn.Module):
    """``statistics(x)`` -> a window's stats; ``normalise(x, stats)`` applies them to rows of
    its channels (the window's own, a recursive forecast's next steps); ``forward(x)`` ->
    (normalised x, stats); ``restore(y, stats)`` undoes it on y's channels (the first ones
    of x)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        stats = self.statistics(x)
        return self.normalise(x, stats), stats

    def statistics(self, x: torch.Tensor) -> Any:
        raise NotImplementedError

    def normalise(self, x: torch.Tensor, stats: Any) -> torch.Tensor:
        raise NotImplementedError

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        raise NotImplementedError


class LastValueNorm(WindowNorm):
    """Subtract each channel's last value. Stats: the last values (B, 1, C)."""

    def statistics(self, x: torch.Tensor) -> Any:
        return x[:, -1:, :].detach()  # (B, 1, C)

    def normalise(self, x: torch.Tensor, stats: Any) -> torch.Tensor:
        return x - stats

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        return y + stats[..., : y.shape[-1]]


class RevIN(WindowNorm):
    """Reversible instance normalisation: each window's channels to mean 0, deviation 1,
    then (with ``affine``) w·x + b with learned w, b (C,). Stats: (mean, std), (B, 1, C)."""

    def __init__(self, num_channels: int = 1, affine: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine else None

    def statistics(self, x: torch.Tensor) -> Any:
        mean = x.mean(1, keepdim=True).detach()  # (B, 1, C)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
        return mean, std

    def normalise(self, x: torch.Tensor, stats: Any) -> torch.Tensor:
        mean, std = stats
        z = (x - mean) / std
        if self.weight is not None and self.bias is not None:
            z = z * self.weight + self.bias
        return z

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        mean, std = stats
        channels = y.shape[-1]  # the first channels: those forecast
        if self.weight is not None and self.bias is not None:
            y = (y - self.bias[:channels]) / (self.weight[:channels] + self.eps * self.eps)
        return y * std[..., :channels] + mean[..., :channels]


class MeanScale(WindowNorm):
    """Divide each channel by its mean absolute value over the window (1 where that is 0).
    Stats: the scales (B, 1, C)."""

    def statistics(self, x: torch.Tensor) -> Any:
        scale = x.abs().mean(1, keepdim=True).detach()  # (B, 1, C)
        return torch.where(scale > 0, scale, torch.ones_like(scale))

    def normalise(self, x: torch.Tensor, stats: Any) -> torch.Tensor:
        return x / stats

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        return y * stats[..., : y.shape[-1]]


class Identity(WindowNorm):
    """No normalisation."""

    def statistics(self, x: torch.Tensor) -> Any:
        return None

    def normalise(self, x: torch.Tensor, stats: Any) -> torch.Tensor:
        return x

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        return y


def make_norm(kind: str, num_channels: int = 1, affine: bool = True) -> WindowNorm:
    """The normalisation ``kind`` (one of NORMS) for ``num_channels`` channels."""
    if kind == "revin":
        return RevIN(num_channels, affine=affine)
    if kind == "last":
        return LastValueNorm()
    if kind == "mean":
        return MeanScale()
    if kind == "none":
        return Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


def restore_params(norm: WindowNorm, stats: Any, head: Head, params: torch.Tensor) -> torch.Tensor:
    """A head's parameters (B, ..., P, K) of normalised values, put back on each window's
    scale: every norm is affine per channel, shift + scale·v, with shift = restore(0)."""
    batch, *middle, _, k = params.shape
    zeros = params.new_zeros(batch, math.prod(middle), k)
    shift = norm.restore(zeros, stats)
    scale = norm.restore(zeros + 1, stats) - shift
    return rescale(head, params, shift.reshape(batch, *middle, k), scale.reshape(batch, *middle, k))


class WindowNormalised(nn.Module):
    """``net`` run on per-window normalised inputs, its forecasts put back on each window's
    scale.

    Inputs: x (B, L, C); its first ``num_normalised`` channels are normalised (the first
    ``num_targets`` of them are the ones forecast), the others (one-hot calendars, static
    values, a series number) pass as they are. Outputs: ``net``'s (B, S, H·K), restored
    with the statistics of the K forecast channels; with a probabilistic ``head``, (B, S,
    H·P·K): its P parameters per value, linked (``Head.link``) and restored.

    ``stats_rows``: the statistics come from the window's first rows alone (None: all of
    them). A network scored at every step of a window (teacher forcing) takes them from
    the rows that no scored step predicts, so they tell it nothing of the values it
    predicts; a forecast takes them from the same rows of its input window.
    """

    def __init__(
        self,
        net: nn.Module,
        kind: str,
        num_normalised: int,
        num_targets: int,
        head: Head | None = None,
        stats_rows: int | None = None,
    ) -> None:
        super().__init__()
        self.net = net
        self.norm: WindowNorm = make_norm(kind, num_normalised)
        self.num_normalised, self.num_targets = num_normalised, num_targets
        self.head, self.stats_rows = head, stats_rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, stats = self._normalised(x)  # (B, L, C)
        return self._restored(self.net(z), stats)  # (B, S, H*K)

    @property
    def steppable(self) -> bool:
        return steppable(self.net)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """``forward``'s outputs (B, L, O) for a whole window, and the state that ``step``
        carries on from: the window's statistics, which later rows are normalised with."""
        z, stats = self._normalised(x)
        out, inner = stepper(self.net).encode(z)
        return self._restored(out, stats), (stats, inner)

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Outputs (B, 1, O) for the next row x (B, 1, C), and the new state."""
        stats, inner = state
        z = self.norm.normalise(x[..., : self.num_normalised], stats)  # (B, 1, C_n)
        row = torch.cat([z, x[..., self.num_normalised :]], dim=-1)
        out, inner = stepper(self.net).step(row, inner)
        return self._restored(out, stats), (stats, inner)

    def _normalised(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """(B, L, C): the window with its first ``num_normalised`` channels normalised by
        the statistics of its first ``stats_rows`` rows; and those statistics."""
        numeric = x[..., : self.num_normalised]
        stats = self.norm.statistics(numeric[:, : self.stats_rows])
        z = self.norm.normalise(numeric, stats)
        return torch.cat([z, x[..., self.num_normalised :]], dim=-1), stats

    def _restored(self, out: torch.Tensor, stats: Any) -> torch.Tensor:
        """The net's outputs (B, S, O) put back on the window's scale (a head's linked)."""
        batch, positions, width = out.shape
        if self.head is not None:
            raw = out.reshape(batch, positions, -1, self.head.params, self.num_targets)
            params = restore_params(self.norm, stats, self.head, self.head.link(raw))
            return params.reshape(batch, positions, width)
        per_channel = out.reshape(batch, positions * width // self.num_targets, self.num_targets)
        return self.norm.restore(per_channel, stats).reshape(batch, positions, width)


class SeriesEmbedding(RowwiseInput):
    """The last input channel holds a series' number; ``net`` sees a learned embedding of
    that series in its place.

    Inputs: x (B, L, C). Outputs: ``net``'s, given (B, L, C - 1 + dim).
    """

    def __init__(self, net: nn.Module, num_series: int, dim: int) -> None:
        super().__init__(net)
        self.embedding = nn.Embedding(num_series, dim)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C - 1 + dim): the series number replaced by its embedding."""
        ids = x[:, 0, -1].round().long()  # (B,): constant along the window
        embedded = self.embedding(ids)[:, None].expand(-1, x.shape[1], -1)  # (B, L, dim)
        return torch.cat([x[..., :-1], embedded], dim=-1)
