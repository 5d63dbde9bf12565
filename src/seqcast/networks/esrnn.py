"""ES-RNN (Smyl 2020): per-series Holt-Winters smoothing learned jointly with one global
stack of dilated LSTMs.

Symbols: B batch, L window (the steps the smoothing runs over), C channels, K targets,
w the steps the LSTM reads at each position, S = L - w + 1 positions, H horizon, P
parameters per value (1 without a head), m a season's length, J seasons (0 to 2), N
series (times K: each target column is smoothed on its own).

``HoltWinters`` gives each step's level and seasonal indices from per-series smoothing
coefficients and initial indices (embedding tables indexed by the series number, the
initial indices by the calendar phase of the window's first step). ``ESRNNNet`` divides
each position's last w values by the level there and the seasonal indices, takes logs,
feeds these windows to the dilated stack, and turns its outputs back: forecast = exp(output)
x level x the seasonal indices ahead (the last season's, repeated beyond it); quantile
outputs go through the same exp (they stay ordered), a distribution head's parameters
describe y / (level x indices) and are stretched by level x indices. In training
it keeps the level-wiggliness penalty (the mean squared change of the log level's steps,
times ``level_penalty``) as ``penalty``, which ``seqcast.training`` adds to the loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from seqcast.networks.heads import Head, rescale

_TINY = 1e-6  # the least value the smoothing divides by
_SPREAD_FLOOR, _SPREAD_CAP = 1e-3, 1.0  # a window's spread of log values: 0.1 % to e-fold


class HoltWinters(nn.Module):
    """Multiplicative Holt-Winters smoothing with learned per-series parameters:
    l_t = a y_t / s_t + (1 - a) l_(t-1), s_(t+m) = g y_t / (l_t s'_t) + (1 - g) s_t for each
    season (s'_t the other season's index), l_0 = y_0 / s_0. Coefficients a, g are sigmoids
    of embeddings; the initial indices of each season, exp of an (N, m) table read from the
    window's calendar phase on.

    forward(y (B, L) > 0, series (B,), phase (B,)) -> levels (B, L) and, per season, its
    indices (B, L + m) (index t + m made from step t).
    """

    def __init__(self, n_series: int, seasons: tuple[int, ...]) -> None:
        super().__init__()
        self.seasons = seasons
        self.level_logit = nn.Embedding(n_series, 1)
        self.season_logit = nn.Embedding(n_series, max(len(seasons), 1))
        self.initial = nn.ModuleList(nn.Embedding(n_series, m) for m in seasons)
        for table in (self.level_logit, self.season_logit, *self.initial):
            nn.init.zeros_(table.weight)  # a = g = 0.5, every index 1
        nn.init.constant_(self.season_logit.weight, -1.0)  # g ~ 0.27: seasons change slowly

    def start_from(self, log_indices: list[np.ndarray]) -> None:
        """Set the initial indices to exp of ``log_indices``, per season an (N, m) array
        (``seqcast.models.esrnn.seasonal_profiles``); an empty list keeps them."""
        with torch.no_grad():
            for table, values in zip(self.initial, log_indices, strict=False):
                weight: torch.Tensor = table.weight  # type: ignore[assignment]
                weight.copy_(torch.as_tensor(values, dtype=weight.dtype))

    def forward(
        self, y: torch.Tensor, series: torch.Tensor, phase: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        length = y.shape[1]
        alpha = torch.sigmoid(self.level_logit(series))  # (B, 1)
        gamma = torch.sigmoid(self.season_logit(series))  # (B, J)
        indices = []
        for m, table in zip(self.seasons, self.initial, strict=True):
            cycle = (phase[:, None] + torch.arange(m, device=y.device)) % m  # (B, m)
            indices.append(torch.exp(table(series).gather(1, cycle)))  # (B, m)
        block = min(self.seasons, default=min(length, 24))  # steps smoothed in one product
        carry, weights = _decay(alpha, block)  # (B, c), (B, c, c)
        level = y[:, 0] / _product(indices, y, 0, 1)[:, 0]
        levels = []
        for start in range(0, length, block):
            end = min(start + block, length)
            n = end - start
            season = _product(indices, y, start, end)  # (B, n): known from earlier steps
            ratio = y[:, start:end] / season
            block_levels = carry[:, :n] * level[:, None] + torch.einsum(
                "bkj,bj->bk", weights[:, :n, :n], ratio
            )
            level = block_levels[:, -1]
            levels.append(block_levels)
            updated = []
            for j, index in enumerate(indices):
                others = season / index[:, start:end]  # the other season's indices
                fresh = y[:, start:end] / (block_levels * others).clamp_min(_TINY)
                g = gamma[:, j : j + 1]
                updated.append(g * fresh + (1 - g) * index[:, start:end])
            indices = [torch.cat([i, u], dim=1) for i, u in zip(indices, updated, strict=True)]
        return torch.cat(levels, dim=1), indices


def _decay(alpha: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The level recursion over ``block`` steps as one product: l_(s+k) = carry_k l_(s-1) +
    sum_(j<=k) weights_kj u_(s+j), carry_k = (1 - a)^(k+1), weights_kj = a (1 - a)^(k-j)."""
    steps = torch.arange(block, device=alpha.device, dtype=alpha.dtype)
    keep = torch.log1p(-alpha.clamp(max=1 - _TINY))  # (B, 1): log(1 - a)
    carry = torch.exp(keep * (steps + 1))  # (B, c)
    gap = steps[:, None] - steps[None, :]  # (c, c)
    lower = gap >= 0
    weights = alpha[:, :, None] * torch.exp(keep[:, :, None] * gap.clamp_min(0)) * lower
    return carry, weights


def _product(indices: list[torch.Tensor], y: torch.Tensor, start: int, end: int) -> torch.Tensor:
    """(B, end - start) the product of every season's indices at steps start..end-1 (ones
    without a season; ``y`` (B, L) gives the shape)."""
    out = torch.ones_like(y[:, start:end])
    for index in indices:
        out = out * index[:, start:end]
    return out


class DilatedLSTM(nn.Module):
    """One LSTM layer whose step t follows step t - d (Chang et al. 2017): the sequence
    split into d interleaved chains, each run by the same LSTM.

    Inputs: x (B, S, F). Outputs: (B, S, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        d = self.dilation
        front = (-length) % d
        if front:
            x = torch.cat([x.new_zeros(batch, front, width), x], dim=1)
        steps = x.shape[1] // d
        chains = x.reshape(batch, steps, d, width).transpose(1, 2).reshape(batch * d, steps, width)
        out, _ = self.lstm(chains)  # (B·d, S'/d, hidden)
        out = out.reshape(batch, d, steps, -1).transpose(1, 2).reshape(batch, steps * d, -1)
        return out[:, front:]


class DilatedStack(nn.Module):
    """Blocks of ``block_layers`` dilated LSTM layers, each block after the first adding
    its input to its output (Smyl's residual blocks).

    Inputs: x (B, S, input_size). Outputs: (B, S, hidden_size).
    """

    def __init__(
        self, input_size: int, hidden_size: int, dilations: tuple[int, ...], block_layers: int
    ) -> None:
        super().__init__()
        self.block_layers = block_layers
        self.layers = nn.ModuleList(
            DilatedLSTM(input_size if i == 0 else hidden_size, hidden_size, d)
            for i, d in enumerate(dilations)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        block_input = x
        for i, layer in enumerate(self.layers):
            x = layer(x)
            last_of_block = (i + 1) % self.block_layers == 0 or i == len(self.layers) - 1
            if last_of_block:
                if i >= self.block_layers:  # not the first block: a residual connection
                    x = x + block_input
                block_input = x
        return x


class ESRNNNet(nn.Module):
    """The ES-RNN network over windows of the forecaster's channels (see the module
    docstring).

    Inputs: x (B, L, C): the K targets first (above 0), the calendar phase in channel
    ``phase_column`` (with seasons), the series number in ``series_column`` (on a panel).
    Outputs: (B, S, H·P·K): each position's forecasts of the H values after it, in the
    targets' units (a ``head``'s P parameters per value: its quantiles).
    """

    def __init__(
        self,
        *,
        n_series: int,
        n_targets: int,
        seasons: tuple[int, ...],
        window: int,
        horizon: int,
        hidden_size: int,
        dilations: tuple[int, ...],
        block_layers: int,
        level_penalty: float,
        phase_column: int | None,
        series_column: int | None,
        head: Head | None = None,
        spread: bool = False,
    ) -> None:
        super().__init__()
        self.k, self.window, self.horizon = n_targets, window, horizon
        self.seasons, self.level_penalty = seasons, level_penalty
        self.phase_column, self.series_column = phase_column, series_column
        self.head, self.spread = head, spread
        self.params = 1 if head is None else head.params
        self.smoothing = HoltWinters(n_series * n_targets, seasons)
        self.rnn = DilatedStack(window + spread, hidden_size, dilations, block_layers)
        self.adapter = nn.Linear(hidden_size, horizon * self.params)
        self.penalty: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        k, w, h = self.k, self.window, self.horizon
        y = x[..., :k].transpose(1, 2).reshape(batch * k, length).float().clamp_min(_TINY)
        number = torch.zeros(batch, dtype=torch.long, device=x.device)
        if self.series_column is not None:
            number = x[:, -1, self.series_column].round().long()
        series = (number[:, None] * k + torch.arange(k, device=x.device)).reshape(-1)  # (B·K,)
        phase = torch.zeros_like(series)
        if self.phase_column is not None:  # the first step's, from the last (always observed)
            last = x[:, -1, self.phase_column].round().long() - (length - 1)
            phase = last.repeat_interleave(k) % max(self.seasons)
        levels, indices = self.smoothing(y, series, phase)  # (B', L), J x (B', L + m)
        log_level = torch.log(levels.clamp_min(_TINY))
        deseasoned = torch.log(y / _product(indices, y, 0, length).clamp_min(_TINY))
        inputs = deseasoned.unfold(1, w, 1) - log_level[:, w - 1 :, None]  # (B', S, w)
        if self.spread:  # the network reads each window's spread (B', S, 1) as well
            spread = inputs.std(dim=2, unbiased=False, keepdim=True) + _SPREAD_FLOOR
            spread = spread.clamp_max(_SPREAD_CAP)
            inputs = torch.cat([inputs, torch.log(spread)], dim=2)  # (B', S, w + 1)
        raw = self.adapter(self.rnn(inputs))  # (B', S, H·P)
        positions = raw.shape[1]
        if self.spread and (self.head is None or self.head.name == "quantile"):
            raw = raw * spread  # log-space outputs in units of the window's spread
        raw = raw.reshape(batch * k, positions, h, self.params, 1)
        ahead = self._ahead(indices, y, positions)  # (B', S, H)
        scale = torch.exp(log_level[:, w - 1 :, None]) * ahead  # (B', S, H)
        if self.head is None:
            out = torch.exp(raw[..., 0]) * scale[..., None]  # (B', S, H, 1)
        elif self.head.name == "quantile":  # ordered in the log space, so still after exp
            out = torch.exp(self.head.link(raw)[..., 0]) * scale[..., None]  # (B', S, H, P)
        else:  # a distribution of y / (level x season), stretched by level x season
            out = rescale(self.head, self.head.link(raw), 0.0, scale[..., None])[..., 0]
        self.penalty = self._wiggliness(log_level) if self.training else None
        out = out.reshape(batch, k, positions, h, self.params).permute(0, 2, 3, 4, 1)
        return out.reshape(batch, positions, h * self.params * k)

    def _ahead(self, indices: list[torch.Tensor], y: torch.Tensor, positions: int) -> torch.Tensor:
        """(B', S, H) the seasonal product for the H steps after each position t: season
        index t + 1 + (i mod m), known at t (the last season's, repeated)."""
        out = torch.ones(y.shape[0], positions, self.horizon, device=y.device, dtype=y.dtype)
        at = torch.arange(positions, device=y.device)[:, None] + self.window  # t + 1
        for m, index in zip(self.seasons, indices, strict=True):
            steps = at + torch.arange(self.horizon, device=y.device)[None, :] % m  # (S, H)
            out = out * index[:, steps]
        return out

    def _wiggliness(self, log_level: torch.Tensor) -> torch.Tensor | None:
        """``level_penalty`` x the mean squared second difference of the log level."""
        if self.level_penalty == 0 or log_level.shape[1] < 3:
            return None
        steps = log_level.diff(dim=1)
        return self.level_penalty * steps.diff(dim=1).square().mean()
