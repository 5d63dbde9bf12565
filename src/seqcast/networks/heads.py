"""Probabilistic output heads: what a network's P outputs per forecast value mean.

Symbols: P parameters per value, K target columns, Q quantile levels, (...) any leading
shape. Parameters travel as (..., P, K); truths as (..., K).

A head turns a network's raw outputs into valid parameters (``link``, in the window's
normalised units), moves them to other units (``rescale``: a location moves with the data,
a scale only stretches, a shape stays), scores them (``loss``: pinball or negative
log-likelihood, torch) and reads forecasts off them (``point``, ``quantiles``, ``sample``,
NumPy and SciPy):

- ``quantile``: Q quantiles, the first free and each next one the last plus a softplus, so
  they never cross; trained with the mean pinball loss; the point forecast is the median.
- ``normal``: location and scale (softplus); Gaussian likelihood.
- ``student_t``: location, scale and degrees of freedom 2 + softplus (finite variance).
- ``negbin``: mean (softplus; it only stretches, so the data must not be shifted) and
  total count r (softplus): variance μ + μ²/r; for counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import special, stats
from torch.nn import functional

from seqcast.errors import SeqcastError

_FLOOR = 1e-6  # the smallest scale, total count or quantile gap


class Head:
    """A distribution over each forecast value, given P parameters (see the module)."""

    name = ""
    kinds: tuple[str, ...] = ()  # per parameter: "loc", "scale" or "shape"
    shifts = True  # whether its values may be shifted (a shift breaks a count model)

    @property
    def params(self) -> int:
        return len(self.kinds)

    def link(self, raw: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def point(self, params: Any) -> Any:
        """(..., K) the point forecast (torch or NumPy, as given)."""
        return params[..., 0, :]

    def quantiles(self, params: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        """(..., K, Q) the quantiles at ``probs`` of the distributions (..., P, K)."""
        raise NotImplementedError

    def sample(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(..., K) one draw from each distribution (..., P, K)."""
        raise NotImplementedError


def rescale(head: Head, params: Any, shift: Any, scale: Any) -> Any:
    """Parameters (..., P, K) of values v in the units of shift + scale·v: locations move
    and stretch, scales stretch by |scale|, shapes stay. ``shift`` and ``scale``
    broadcast against (..., K)."""
    parts = []
    for p, kind in enumerate(head.kinds):
        value = params[..., p, :]
        if kind == "loc":
            value = shift + scale * value
        elif kind == "scale":
            value = abs(scale) * value
        parts.append(value)
    if isinstance(params, torch.Tensor):
        return torch.stack(parts, dim=-2)
    return np.stack(parts, axis=-2)


class QuantileHead(Head):
    name = "quantile"

    def __init__(self, levels: Sequence[float]) -> None:
        self.levels = tuple(float(level) for level in levels)
        self.kinds = ("loc",) * len(self.levels)
        self.median = self.levels.index(0.5)

    def link(self, raw: torch.Tensor) -> torch.Tensor:
        gaps = functional.softplus(raw[..., 1:, :]) + _FLOOR
        return torch.cat([raw[..., :1, :], raw[..., :1, :] + gaps.cumsum(dim=-2)], dim=-2)

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        taus = torch.tensor(self.levels, dtype=params.dtype, device=params.device)[:, None]
        gap = y[..., None, :] - params  # (..., Q, K)
        return 2 * torch.maximum(taus * gap, (taus - 1) * gap).mean()  # the median's: MAE

    def point(self, params: Any) -> Any:
        return params[..., self.median, :]

    def quantiles(self, params: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        ordered = np.sort(params, axis=-2)  # a rescale by a negative factor reverses them
        columns = []
        for prob in probs:
            match = [i for i, level in enumerate(self.levels) if abs(level - prob) < 1e-9]
            if not match:
                raise SeqcastError(
                    f"the model learned the quantiles {', '.join(f'{q:g}' for q in self.levels)}"
                    f"; an interval needs the {prob:g} quantile (set train.quantiles)"
                )
            columns.append(ordered[..., match[0], :])
        return np.stack(columns, axis=-1)


class NormalHead(Head):
    name = "normal"
    kinds = ("loc", "scale")

    def link(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.stack([raw[..., 0, :], functional.softplus(raw[..., 1, :]) + _FLOOR], -2)

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loc, scale = params[..., 0, :], params[..., 1, :]
        return -torch.distributions.Normal(loc, scale).log_prob(y).mean()

    def quantiles(self, params: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        z = special.ndtri(np.asarray(probs))  # the standard Normal's quantiles
        return params[..., 0, :, None] + params[..., 1, :, None] * z

    def sample(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return params[..., 0, :] + params[..., 1, :] * rng.standard_normal(params[..., 0, :].shape)


class StudentTHead(Head):
    name = "student_t"
    kinds = ("loc", "scale", "shape")

    def link(self, raw: torch.Tensor) -> torch.Tensor:
        scale = functional.softplus(raw[..., 1, :]) + _FLOOR
        df = 2 + functional.softplus(raw[..., 2, :])
        return torch.stack([raw[..., 0, :], scale, df], dim=-2)

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loc, scale, df = params[..., 0, :], params[..., 1, :], params[..., 2, :]
        return -torch.distributions.StudentT(df, loc, scale).log_prob(y).mean()

    def quantiles(self, params: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        loc, scale, df = (params[..., i, :, None] for i in range(3))
        return loc + scale * stats.t.ppf(np.asarray(probs), df)

    def sample(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        loc, scale, df = params[..., 0, :], params[..., 1, :], params[..., 2, :]
        return loc + scale * rng.standard_t(df)


class NegativeBinomialHead(Head):
    name = "negbin"
    kinds = ("scale", "shape")  # the mean stretches with the data; never shifted
    shifts = False

    def link(self, raw: torch.Tensor) -> torch.Tensor:
        mean = functional.softplus(raw[..., 0, :]) + _FLOOR
        count = functional.softplus(raw[..., 1, :]) + _FLOOR
        return torch.stack([mean, count], dim=-2)

    def loss(self, params: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mean, count = params[..., 0, :], params[..., 1, :]
        # torch's negative binomial counts successes of odds mean/count before count failures
        odds = torch.log(mean) - torch.log(count)
        counts = torch.distributions.NegativeBinomial(count, logits=odds, validate_args=False)
        return -counts.log_prob(y).mean()

    def quantiles(self, params: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        mean, count = params[..., 0, :, None], params[..., 1, :, None]
        return stats.nbinom.ppf(np.asarray(probs), count, count / (count + mean))

    def sample(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mean, count = params[..., 0, :], params[..., 1, :]
        return rng.negative_binomial(count, count / (count + mean)).astype(float)


def make_head(loss: str, quantiles: Sequence[float]) -> Head | None:
    """The head of a training ``loss`` (None for the point losses mse, mae, huber, smape)."""
    if loss == QuantileHead.name:
        return QuantileHead(quantiles)
    heads: list[type[Head]] = [NormalHead, StudentTHead, NegativeBinomialHead]
    return next((head() for head in heads if head.name == loss), None)
