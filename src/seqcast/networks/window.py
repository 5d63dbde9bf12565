"""Networks that read the whole window at once: linear, MLP, DLinear, NLinear.

Symbols: B batch, L input length, C input channels, H horizon, K target channels (the first
K input channels), O = H·K outputs. Each maps (B, L, C) to (B, 1, O): one forecast from
the window's end.
"""

from __future__ import annotations

import torch
from torch import nn


class WindowLinear(nn.Module):
    """Dense over the flattened window: (B, L, C) -> (B, 1, O)."""

    def __init__(self, input_len: int, input_size: int, output_size: int) -> None:
        super().__init__()
        self.proj = nn.Linear(input_len * input_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.flatten(1))[:, None]  # (B, 1, O)


class WindowMLP(nn.Module):
    """Linear-ReLU blocks (``num_layers`` of them) then a Linear, over the flattened window,
    Xavier-initialised."""

    def __init__(
        self,
        input_len: int,
        input_size: int,
        hidden_size: int,
        output_size: int,
        num_layers: int = 1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = input_len * input_size
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_size), nn.ReLU()]
            width = hidden_size
        self.net = nn.Sequential(*layers, nn.Linear(width, output_size))
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, None]  # (B, 1, O)


class DLinearNet(nn.Module):
    """Series decomposition (moving-average trend + remainder), one Linear(L, H·P) for each
    part, shared by all channels; the first K channels' forecasts are the outputs, P values
    per step (the parameters of a probabilistic head; 1 for a point forecast)."""

    def __init__(
        self, input_len: int, horizon: int, num_targets: int, kernel_size: int, params: int = 1
    ) -> None:
        super().__init__()
        self.num_targets, self.kernel_size, self.params = num_targets, kernel_size, params
        self.trend = nn.Linear(input_len, horizon * params)
        self.seasonal = nn.Linear(input_len, horizon * params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        series = x[..., : self.num_targets].transpose(1, 2)  # (B, K, L)
        front = series[..., :1].expand(-1, -1, (self.kernel_size - 1) // 2)
        back = series[..., -1:].expand(-1, -1, self.kernel_size // 2)
        padded = torch.cat([front, series, back], dim=-1)  # edge-replicated
        trend = padded.unfold(-1, self.kernel_size, 1).mean(-1)  # (B, K, L)
        out = self.trend(trend) + self.seasonal(series - trend)  # (B, K, H*P)
        return per_step(out, self.params)


class NLinearNet(nn.Module):
    """Subtract each channel's last value, Linear(L, H·P) shared by channels, and add it
    back to the P values of each step that ``moves`` marks (the locations of a
    probabilistic head; a point forecast's one value)."""

    moves: torch.Tensor  # (P,) 1 for the values the last value is added back to, else 0

    def __init__(
        self, input_len: int, horizon: int, num_targets: int, moves: tuple[bool, ...] = (True,)
    ) -> None:
        super().__init__()
        self.num_targets, self.params = num_targets, len(moves)
        self.proj = nn.Linear(input_len, horizon * self.params)
        self.register_buffer("moves", torch.tensor(moves, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        series = x[..., : self.num_targets].transpose(1, 2)  # (B, K, L)
        last = series[..., -1:].detach()  # (B, K, 1)
        batch, k, _ = series.shape
        out = self.proj(series - last).reshape(batch, k, -1, self.params)  # (B, K, H, P)
        out = out + last[..., None] * self.moves  # back on the window's level
        return per_step(out.reshape(batch, k, -1), self.params)


def per_step(out: torch.Tensor, params: int) -> torch.Tensor:
    """(B, K, H·P) per channel -> (B, 1, H·P·K): step, then parameter, then channel."""
    batch, k, _ = out.shape
    per_step = out.reshape(batch, k, -1, params).permute(0, 2, 3, 1)  # (B, H, P, K)
    return per_step.flatten(1)[:, None]  # (B, 1, H*P*K)
