"""Several networks of one architecture whose forecasts are averaged."""

from __future__ import annotations

import torch
from torch import nn


class MeanOf(nn.Module):
    """The mean of ``members``' outputs: each maps (B, L, C) -> (B, S, O), and so does this.

    Members trained from different seeds make different errors; their mean is steadier
    than any one of them (the ensembles of N-BEATS and of M4's winners)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(dim=0)
