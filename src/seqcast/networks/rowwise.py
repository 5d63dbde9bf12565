"""A network whose input rows are each rewritten on their own before it reads them.

Symbols: B batch, L rows, C channels.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqcast.networks import steppable, stepper


class RowwiseInput(nn.Module):
    """``net`` run on ``transform(x)``, a rewrite of each row that reads no other row, so a
    window and a stepped row are rewritten alike: steppable when ``net`` is, with ``net``'s
    state. Subclasses give ``transform`` ((B, L, C) -> (B, L, C')).
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.transform(x))

    @property
    def steppable(self) -> bool:
        return steppable(self.net)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        return stepper(self.net).encode(self.transform(x))

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        return stepper(self.net).step(self.transform(x), state)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
