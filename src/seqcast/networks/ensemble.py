"""Several networks of one architecture whose forecasts are averaged."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqcast.networks import steppable, stepper


class MeanOf(nn.Module):
    """The mean of ``members``' outputs: each maps (B, L, C) -> (B, S, O), and so does this.

    Members trained from different seeds make different errors; their mean is steadier
    than any one of them (the ensembles of N-BEATS and of M4's winners)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(dim=0)

    @property
    def steppable(self) -> bool:
        return all(steppable(member) for member in self.members)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """The members' mean outputs (B, L, O) and their states, one each."""
        outs, states = zip(*(stepper(member).encode(x) for member in self.members), strict=True)
        return torch.stack(outs).mean(dim=0), list(states)

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """The members' mean outputs (B, 1, O) for the next row x (B, 1, C)."""
        members = zip(self.members, state, strict=True)
        pairs = [stepper(member).step(x, own) for member, own in members]
        outs, states = zip(*pairs, strict=True)
        return torch.stack(outs).mean(dim=0), list(states)
