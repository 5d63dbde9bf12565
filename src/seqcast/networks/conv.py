"""Convolutional networks: Conv1D + GRU, and WaveNet.

Symbols: B batch, L input length, C input channels, F filters, d hidden size, O outputs per
step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvGRUNet(nn.Module):
    """Conv1d (kernel k, stride s) downsamples, a GRU reads the result, a head per step.

    Inputs: x (B, L, input_size). Outputs: (B, L', output_size), L' = (L - k) // s + 1;
    output i belongs to input step s·i + k - 1, the last one its kernel saw.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        filters: int = 32,
        num_layers: int = 1,
        kernel_size: int = 4,
        stride: int = 2,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv1d(input_size, filters, kernel_size, stride=stride)
        self.gru = nn.GRU(filters, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, L', F)
        out, _ = self.gru(z)  # (B, L', d)
        return self.head(out)  # (B, L', O)


class WaveNetNet(nn.Module):
    """Causal dilated convolutions (kernel 2) with ReLU, then a 1x1 convolution head.

    Inputs: x (B, L, input_size). Outputs: (B, L, output_size); step t sees inputs up to t.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        filters: int = 32,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8),
    ) -> None:
        super().__init__()
        self.dilations = tuple(dilations)
        self.convs = nn.ModuleList(
            nn.Conv1d(input_size if i == 0 else filters, filters, 2, dilation=d)
            for i, d in enumerate(self.dilations)
        )
        self.head = nn.Conv1d(filters, output_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.transpose(1, 2)  # (B, C, L)
        for conv, dilation in zip(self.convs, self.dilations, strict=True):
            z = F.relu(conv(F.pad(z, (dilation, 0))))  # left padding keeps it causal
        return self.head(z).transpose(1, 2)  # (B, L, O)
