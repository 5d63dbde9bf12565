"""The calendar phase as a network reads it: a one-hot of the phase of the step predicted.

Symbols: B batch, L rows, C channels, m the phase's period (24: the hour of the day).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqcast.networks.rowwise import RowwiseInput


class PhaseOneHot(RowwiseInput):
    """``net`` given, in place of the phase channel ``column`` (each row's phase, 0..m-1),
    a one-hot of the next row's phase: the row at t predicts t + 1, so it learns what
    each hour of the day (say) brings.

    Inputs: x (B, L, C). Outputs: ``net``'s, given (B, L, C - 1 + m). Steppable when
    ``net`` is (each row is read on its own).
    """

    def __init__(self, net: nn.Module, column: int, period: int) -> None:
        super().__init__(net)
        self.column, self.period = column, period

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C - 1 + m): the phase channel replaced by the next phase's one-hot."""
        ahead = (x[..., self.column].round().long() + 1) % self.period  # (B, L)
        hot = F.one_hot(ahead, self.period).to(x.dtype)  # (B, L, m)
        return torch.cat([x[..., : self.column], hot, x[..., self.column + 1 :]], dim=-1)
