"""A linear highway beside a network: LSTNet's autoregressive component (Lai et al. 2018).

A recurrent network squashes its inputs through tanh and sigmoid gates, so the scale of its
output follows its input's poorly; a linear map of the last steps of the targets, added to
its outputs, carries the scale (and can express seasonal naive by itself), and the network
learns what the linear map misses.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from seqcast.networks import steppable, stepper


class Highway(nn.Module):
    """``net``'s outputs plus, at every position t, a linear map of the K target channels
    (the first ones of the input) at steps t - window + 1 .. t (zeros before the start).

    Inputs: x (B, L, C). Outputs: ``net``'s (B, L, O), one per position.
    The map starts at zero, so the untrained sum is ``net`` itself. Steppable when ``net``
    is: the state carries the last ``window`` - 1 target rows beside ``net``'s.
    """

    def __init__(self, net: nn.Module, window: int, num_targets: int, num_outputs: int) -> None:
        super().__init__()
        self.net, self.window, self.num_targets = net, window, num_targets
        self.linear = nn.Conv1d(num_targets, num_outputs, kernel_size=window)
        with torch.no_grad():
            for weights in self.linear.parameters():
                weights.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) + self._linear(self._padded(x))  # (B, L, O)

    @property
    def steppable(self) -> bool:
        return steppable(self.net)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """``forward``'s outputs (B, L, O) and the state after the window's last row."""
        out, inner = stepper(self.net).encode(x)
        past = self._padded(x)  # (B, K, window - 1 + L)
        return out + self._linear(past), (past[..., past.shape[-1] - self.window + 1 :], inner)

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Outputs (B, 1, O) for the next row x (B, 1, C), and the new state."""
        history, inner = state  # (B, K, window - 1): the rows before x
        out, inner = stepper(self.net).step(x, inner)
        past = torch.cat([history, x[..., : self.num_targets].transpose(1, 2)], dim=-1)
        return out + self._linear(past), (past[..., 1:], inner)

    def _padded(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K, window - 1 + L): the target channels, zeros before the start (causal)."""
        return F.pad(x[..., : self.num_targets].transpose(1, 2), (self.window - 1, 0))

    def _linear(self, past: torch.Tensor) -> torch.Tensor:
        """(B, L', O): the map of each ``window`` steps of ``past`` (B, K, window - 1 + L')."""
        return self.linear(past).transpose(1, 2)
