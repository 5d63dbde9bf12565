"""Per-window normalisation that a network undoes on its output.

Symbols: B batch, L input length, H horizon, C channels.

Each layer maps a window x (B, L, C) to ``(normalised, stats)`` and ``restore(y, stats)``
maps an output y (B, H, C) back to the window's scale. The statistics travel with the
batch, never on the module, so a module is safe to call from several places at once.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class LastValueNorm(nn.Module):
    """Subtract each channel's last value. Stats: the last values (B, 1, C)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        last = x[:, -1:, :].detach()  # (B, 1, C)
        return x - last, last

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        return y + stats


class RevIN(nn.Module):
    """Reversible instance normalisation without affine weights (as SegRNN uses it): each
    window's channels to mean 0 and deviation 1. Stats: (mean, std), each (B, 1, C)."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        mean = x.mean(1, keepdim=True).detach()  # (B, 1, C)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
        return (x - mean) / std, (mean, std)

    def restore(self, y: torch.Tensor, stats: Any) -> torch.Tensor:
        mean, std = stats
        return y * std + mean
