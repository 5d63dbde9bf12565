"""N-BEATS (Oreshkin et al. 2020): stacks of fully connected blocks with backward and
forward residual links, in its generic and its interpretable form.

Symbols: B batch, L input length, C input channels, K targets, H horizon, P values per step
(a probabilistic head's parameters; 1 for a point forecast), E = L·(C - K) exogenous inputs.

Each target channel is a series of its own (channel independence, as DLinear): its window
x (L,) goes through the blocks one after another; block l reads the residual x_l (and the
other channels, flattened, as N-BEATSx does), gives a backcast b_l (L,) and a forecast f_l
(H·P,), and x_{l+1} = x_l - b_l; the forecast is the sum of the blocks' f_l.

- generic: each block's θ maps to backcast and forecast through learned linear bases;
- interpretable: a trend stack (θ the coefficients of a polynomial of degree ``degree`` in
  time) then a seasonality stack (θ those of cos and sin of 2πiτ, τ in units of the
  horizon: the paper's i = 1..H/2, or, given the season m, the season's own harmonics,
  periods m/k, which hold no trend), the blocks of a stack sharing their weights (the
  paper's choice), so the two stacks' forecasts are the trend and the seasonality
  (``parts``).

Time τ runs through the window and on through the forecast: the window's steps are
(-L..-1)/H, the forecast's (0..H-1)/H, so a basis function continues across the origin.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn

from seqcast.networks.window import per_step


class Block(nn.Module):
    """``layers`` Linear-ReLU of width ``hidden_size`` over the residual (B', L) and the
    exogenous inputs (B', E), then θ_b and θ_f; ``basis`` None learns linear bases (L and
    H·P outputs), else (backcast (n, L), forecast (n, H)) fixed ones of n functions."""

    backcast_basis: torch.Tensor
    forecast_basis: torch.Tensor

    def __init__(
        self,
        input_len: int,
        horizon: int,
        exogenous: int,
        hidden_size: int,
        layers: int,
        params: int = 1,
        basis: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        sizes = [input_len + exogenous, *[hidden_size] * layers]
        self.fc = nn.Sequential(
            *[
                module
                for n_in, n_out in itertools.pairwise(sizes)
                for module in (nn.Linear(n_in, n_out), nn.ReLU())
            ]
        )
        self.fixed = basis is not None
        if basis is None:
            self.backcast = nn.Linear(hidden_size, input_len)
            self.forecast = nn.Linear(hidden_size, horizon * params)
        else:
            backcast, forecast = basis
            self.register_buffer("backcast_basis", backcast, persistent=False)
            self.register_buffer("forecast_basis", forecast, persistent=False)
            self.theta_b = nn.Linear(hidden_size, len(backcast), bias=False)
            self.theta_f = nn.Linear(hidden_size, len(forecast), bias=False)

    def forward(self, x: torch.Tensor, exogenous: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(backcast (B', L), forecast (B', H·P)) of residual x (B', L)."""
        hidden = self.fc(torch.cat([x, exogenous], dim=-1))
        if not self.fixed:
            return self.backcast(hidden), self.forecast(hidden)
        return self.theta_b(hidden) @ self.backcast_basis, self.theta_f(
            hidden
        ) @ self.forecast_basis


def trend_basis(input_len: int, horizon: int, degree: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Powers τ^0..τ^degree at the window's and the forecast's times: (d+1, L), (d+1, H)."""
    powers = torch.arange(degree + 1, dtype=torch.float32)[:, None]
    return _times(input_len, horizon, lambda t: t[None, :] ** powers)


def seasonality_basis(
    input_len: int, horizon: int, season: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of 2πiτ: (2I, L), (2I, H). With a ``season`` m >= 2, the harmonics of
    the season (i = k·H/m, periods m/k steps, k = 1..m/2), which average to zero over every
    season, so no trend hides in them; else the paper's, i = 1..max(1, H // 2). No
    constant: the level is the trend stack's."""
    if season >= 2:
        harmonics = torch.arange(1, season // 2 + 1, dtype=torch.float32) * horizon / season
    else:
        harmonics = torch.arange(1, max(1, horizon // 2) + 1, dtype=torch.float32)

    def waves(t: torch.Tensor) -> torch.Tensor:
        angle = 2 * torch.pi * harmonics[:, None] * t[None, :]
        return torch.cat([torch.cos(angle), torch.sin(angle)])

    return _times(input_len, horizon, waves)


def _times(
    input_len: int, horizon: int, functions: Callable[[torch.Tensor], torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``functions`` (τ (T,) -> (n, T)) at the window's times and at the forecast's."""
    past = torch.arange(-input_len, 0, dtype=torch.float32) / horizon
    ahead = torch.arange(horizon, dtype=torch.float32) / horizon
    return functions(past), functions(ahead)


class NBeatsNet(nn.Module):
    """Inputs (B, L, C), the first K channels forecast; outputs (B, 1, H·P·K): step, then
    parameter, then channel. ``stack`` generic (``blocks`` blocks) or interpretable (a trend
    and a seasonality stack of ``blocks`` weight-sharing passes each, the seasonality of
    period ``season`` when it is 2 or more; point forecasts)."""

    def __init__(
        self,
        input_len: int,
        horizon: int,
        num_channels: int,
        num_targets: int,
        *,
        stack: str = "generic",
        blocks: int = 3,
        layers: int = 4,
        hidden_size: int = 256,
        degree: int = 3,
        season: int = 0,
        params: int = 1,
    ) -> None:
        super().__init__()
        self.num_targets, self.horizon, self.params = num_targets, horizon, params
        self.interpretable = stack == "interpretable"
        exogenous = input_len * (num_channels - num_targets)
        size = (input_len, horizon, exogenous, hidden_size, layers)
        if self.interpretable:
            self.trend = Block(*size, basis=trend_basis(input_len, horizon, degree))
            self.seasonality = Block(*size, basis=seasonality_basis(input_len, horizon, season))
            self.passes = blocks
        else:
            self.blocks = nn.ModuleList(Block(*size, params=params) for _ in range(blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        forecast = sum(self.parts(x).values())
        return per_step(forecast, self.params)  # type: ignore[arg-type]

    def parts(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each stack's forecast (B, K, H·P): ``trend`` and ``seasonality`` for the
        interpretable form, ``generic`` for the other; they add up to the forecast."""
        batch, length, _ = x.shape
        k = self.num_targets
        residual = x[..., :k].transpose(1, 2).reshape(batch * k, length)  # (B·K, L)
        others = x[..., k:].reshape(batch, -1)  # (B, E)
        exogenous = others.repeat_interleave(k, dim=0)  # (B·K, E)
        stacks: list[tuple[str, list[nn.Module]]]
        if self.interpretable:
            stacks = [
                ("trend", [self.trend] * self.passes),
                ("seasonality", [self.seasonality] * self.passes),
            ]
        else:
            stacks = [("generic", list(self.blocks))]
        parts = {}
        for name, members in stacks:
            total = x.new_zeros(batch * k, self.horizon * self.params)
            for block in members:
                backcast, forecast = block(residual, exogenous)
                residual = residual - backcast
                total = total + forecast
            parts[name] = total.reshape(batch, k, -1)
        return parts
