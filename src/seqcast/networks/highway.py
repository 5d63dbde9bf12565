"""A linear highway beside a network: LSTNet's autoregressive component (Lai et al. 2018).

A recurrent network squashes its inputs through tanh and sigmoid gates, so the scale of its
output follows its input's poorly; a linear map of the last steps of the targets, added to
its outputs, carries the scale (and can express seasonal naive by itself), and the network
learns what the linear map misses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Highway(nn.Module):
    """``net``'s outputs plus, at every position t, a linear map of the K target channels
    (the first ones of the input) at steps t - window + 1 .. t (zeros before the start).

    Inputs: x (B, L, C). Outputs: ``net``'s (B, L, O), one per position.
    The map starts at zero, so the untrained sum is ``net`` itself.
    """

    def __init__(self, net: nn.Module, window: int, num_targets: int, num_outputs: int) -> None:
        super().__init__()
        self.net, self.window, self.num_targets = net, window, num_targets
        self.linear = nn.Conv1d(num_targets, num_outputs, kernel_size=window)
        with torch.no_grad():
            for weights in self.linear.parameters():
                weights.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)  # (B, L, O)
        targets = x[..., : self.num_targets].transpose(1, 2)  # (B, K, L)
        past = F.pad(targets, (self.window - 1, 0))  # (B, K, window - 1 + L): causal
        return out + self.linear(past).transpose(1, 2)  # (B, L, O)
