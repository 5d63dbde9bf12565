"""Convolutional forecasters: Conv1D + GRU, and WaveNet.

Symbols: B batch, L input length, C input channels, F filters, O outputs per step (H·K).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model

KERNEL, STRIDE = 4, 2


def _modules() -> Any:
    import torch
    import torch.nn.functional as F
    from torch import nn

    class ConvGRUNet(nn.Module):
        """Conv1d (kernel 4, stride 2) downsamples, a GRU reads the result, a head per step.

        Inputs: x (B, L, C). Outputs: (B, L', O), L' = (L - 4) // 2 + 1; output i belongs
        to input step 2i + 3, the last one its kernel saw.
        """

        def __init__(self, n_in: int, filters: int, hidden: int, layers: int, n_out: int) -> None:
            super().__init__()
            self.conv = nn.Conv1d(n_in, filters, KERNEL, stride=STRIDE)
            self.gru = nn.GRU(filters, hidden, num_layers=layers, batch_first=True)
            self.head = nn.Linear(hidden, n_out)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            z = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, L', F)
            out, _ = self.gru(z)  # (B, L', d)
            return self.head(out)  # (B, L', O)

    class WaveNetNet(nn.Module):
        """Causal dilated convolutions (kernel 2) with ReLU, then a 1x1 convolution head.

        Inputs: x (B, L, C). Outputs: (B, L, O); step t sees inputs up to t only.
        """

        def __init__(self, n_in: int, filters: int, dilations: tuple[int, ...], n_out: int) -> None:
            super().__init__()
            self.dilations = dilations
            self.convs = nn.ModuleList(
                nn.Conv1d(n_in if i == 0 else filters, filters, 2, dilation=d)
                for i, d in enumerate(dilations)
            )
            self.head = nn.Conv1d(filters, n_out, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            z = x.transpose(1, 2)  # (B, C, L)
            for conv, dilation in zip(self.convs, self.dilations, strict=True):
                z = F.relu(conv(F.pad(z, (dilation, 0))))  # left padding keeps it causal
            return self.head(z).transpose(1, 2)  # (B, L, O)

    return ConvGRUNet, WaveNetNet


@register_model("conv_gru")
@dataclass
class ConvGRU(NeuralForecaster):
    """Conv1D (kernel 4, stride 2) + GRU; seq2seq targets are cropped and downsampled to the
    convolution's outputs (input steps 3, 5, 7, ...)."""

    filters: int = 32
    hidden_size: int = 32
    num_layers: int = 1

    sequence_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.input_len < KERNEL:
            raise SeqcastError(f"conv_gru needs input_len >= {KERNEL}, got {self.input_len}")

    def output_steps(self, length: int) -> list[int]:
        return list(range(KERNEL - 1, length, STRIDE))

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        if (self.input_len - KERNEL) % STRIDE:  # the last output must end on the last step
            raise SeqcastError(
                f"conv_gru needs an even input_len (its last output must end "
                f"on the window's last step), got {self.input_len}"
            )
        return _modules()[0](n_inputs, self.filters, self.hidden_size, self.num_layers, n_outputs)


@register_model("wavenet")
@dataclass
class WaveNet(NeuralForecaster):
    """WaveNet-style causal dilated Conv1D stack (dilations 1, 2, 4, 8, twice) + 1x1 head."""

    filters: int = 32
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)

    sequence_output: ClassVar[bool] = True

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()[1](n_inputs, self.filters, tuple(self.dilations), n_outputs)
