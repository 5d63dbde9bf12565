"""Models that read the whole window at once: linear, MLP, DLinear, NLinear.

Symbols: B batch, L input length, C input channels, H horizon, K target channels (the first
K input channels), O = H·K outputs. Each module maps (B, L, C) to (B, 1, O): one forecast
from the window's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model


def _modules() -> Any:
    """torch.nn and the module classes, imported only when a model is built."""
    import torch
    from torch import nn

    class WindowLinear(nn.Module):
        """Dense over the flattened window: (B, L, C) -> (B, 1, O)."""

        def __init__(self, length: int, n_inputs: int, n_outputs: int) -> None:
            super().__init__()
            self.proj = nn.Linear(length * n_inputs, n_outputs)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.proj(x.flatten(1))[:, None]  # (B, 1, O)

    class WindowMLP(nn.Module):
        """Linear-ReLU-Linear over the flattened window, Xavier-initialised."""

        def __init__(self, length: int, n_inputs: int, hidden: int, n_outputs: int) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Flatten(),
                nn.Linear(length * n_inputs, hidden),
                nn.ReLU(),
                nn.Linear(hidden, n_outputs),
            )
            for layer in self.net:
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.zeros_(layer.bias)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)[:, None]  # (B, 1, O)

    class DLinearNet(nn.Module):
        """Series decomposition (moving-average trend + remainder), one Linear(L, H) for each
        part, shared by all channels; the first K channels' forecasts are the outputs."""

        def __init__(self, length: int, horizon: int, k: int, kernel: int) -> None:
            super().__init__()
            self.k, self.kernel = k, kernel
            self.trend = nn.Linear(length, horizon)
            self.seasonal = nn.Linear(length, horizon)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            series = x[..., : self.k].transpose(1, 2)  # (B, K, L)
            front = series[..., :1].expand(-1, -1, (self.kernel - 1) // 2)
            back = series[..., -1:].expand(-1, -1, self.kernel // 2)
            padded = torch.cat([front, series, back], dim=-1)  # edge-replicated
            trend = padded.unfold(-1, self.kernel, 1).mean(-1)  # (B, K, L)
            out = self.trend(trend) + self.seasonal(series - trend)  # (B, K, H)
            return out.transpose(1, 2).flatten(1)[:, None]  # (B, 1, H*K)

    class NLinearNet(nn.Module):
        """Subtract each channel's last value, Linear(L, H) shared by channels, add it back."""

        def __init__(self, length: int, horizon: int, k: int) -> None:
            super().__init__()
            self.k = k
            self.proj = nn.Linear(length, horizon)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            series = x[..., : self.k].transpose(1, 2)  # (B, K, L)
            last = series[..., -1:].detach()  # (B, K, 1)
            out = self.proj(series - last) + last  # (B, K, H)
            return out.transpose(1, 2).flatten(1)[:, None]  # (B, 1, H*K)

    return WindowLinear, WindowMLP, DLinearNet, NLinearNet


@register_model("linear")
@dataclass
class Linear(NeuralForecaster):
    """One dense layer over the flattened window (the book's "linear on 56 lags")."""

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()[0](self.input_len, n_inputs, n_outputs)


@register_model("mlp")
@dataclass
class MLP(NeuralForecaster):
    """Linear-ReLU-Linear over the flattened window, Xavier init (d2l's sine MLP: 4->10->1)."""

    hidden_size: int = 10

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()[1](self.input_len, n_inputs, self.hidden_size, n_outputs)


@register_model("dlinear")
@dataclass
class DLinear(NeuralForecaster):
    """DLinear (Zeng et al. 2023): trend/remainder decomposition, a linear map for each.
    Channel-independent; forecasts the target channels from their own history."""

    kernel_size: int = 25

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()[2](
            self.input_len, self._train_horizon, len(self.targets_), self.kernel_size
        )


@register_model("nlinear")
@dataclass
class NLinear(NeuralForecaster):
    """NLinear (Zeng et al. 2023): a linear map of the window relative to its last value."""

    def build(self, n_inputs: int, n_outputs: int) -> Any:
        return _modules()[3](self.input_len, self._train_horizon, len(self.targets_))
