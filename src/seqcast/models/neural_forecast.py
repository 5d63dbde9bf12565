"""How a trained neural forecaster turns windows into forecasts, and intervals.

Symbols: O origins, n steps forecast, L input length, C input channels, K targets,
P parameters per value of a probabilistic head (1 without), S sampled paths, Q levels.

``forecast_windows`` runs the network on the window before each origin, in chunks: a
``direct`` or ``seq2seq`` network gives all n steps at once; a ``recursive`` one is fed its
own point forecast step by step. With a head (``train.loss`` quantile, normal, student_t,
negbin) the network's outputs are distributions: the point forecast is their median (the
quantile head's 0.5) or mean, and interval bounds are their quantiles at each step; a
recursive model instead samples ``SAMPLE_PATHS`` paths, each fed its own draws, and takes
the paths' quantiles at every step (the spread compounds as it would).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from seqcast.models.intervals import bound_probabilities, ordered

if TYPE_CHECKING:
    from seqcast.models.neural import NeuralForecaster

CHUNK = 8192  # windows per forward pass when forecasting many origins
SAMPLE_PATHS = 500  # paths a recursive model samples for its intervals


def forecast_windows(
    model: NeuralForecaster,
    features: np.ndarray,
    origins: np.ndarray,
    last: np.ndarray,
    horizon: int,
    levels: tuple[float, ...] = (),
) -> np.ndarray:
    """(O, n, K, 1 + 2L) forecasts, de-scaled, from rows ``origins`` of ``features`` (T, C),
    each with ``input_len`` rows of its series before it (checked by the caller), then the
    bounds of each level's interval; each origin's series ends at row ``last`` (a recursive
    forecast reads the known-ahead values of its next steps up to there)."""
    from seqcast.networks.heads import rescale

    head = model.head
    raw = _run(model, features, origins, last, horizon, sample=None)  # (O, n, P, K)
    k = len(model.targets_)
    scale, shift = model.channels_.scale[:k], model.channels_.shift[:k]
    if head is None:
        return (raw[:, :, 0] * scale + shift)[..., None]
    params = rescale(head, raw, shift, scale)
    point = head.point(params)  # (O, n, K)
    if not levels:
        return point[..., None]
    probabilities = bound_probabilities(levels)
    if model.strategy == "recursive":
        rng = np.random.default_rng(model.train.seed)
        each = np.repeat(np.arange(len(origins)), SAMPLE_PATHS)  # S rows per origin
        draws = _run(model, features, origins[each], last[each], horizon, rng)[:, :, 0]
        paths = draws.reshape(len(origins), SAMPLE_PATHS, horizon, k) * scale + shift
        bounds = np.moveaxis(np.quantile(paths, probabilities, axis=1), 0, -1)
    else:
        bounds = head.quantiles(params, probabilities)  # (O, n, K, 2L)
    return np.concatenate([point[..., None], ordered(bounds)], axis=-1)


def _run(
    model: NeuralForecaster,
    features: np.ndarray,
    origins: np.ndarray,
    last: np.ndarray,
    horizon: int,
    sample: np.random.Generator | None,
) -> np.ndarray:
    """(O, n, P, K) the network's outputs in the scaled units (P = 1 without a head). A
    recursive model feeds back its point forecast, or with ``sample`` a draw from its
    distribution (then the output holds the draws, P = 1)."""
    import torch

    head = model.head
    k = len(model.targets_)
    count = 1 if head is None else head.params
    offsets = np.arange(model.input_len)
    starts = origins - model.input_len + 1
    out = np.empty((len(origins), horizon, 1 if sample else count, k))
    model.module_.eval()
    with torch.no_grad():
        for chunk in np.split(np.arange(len(origins)), range(CHUNK, len(origins), CHUNK)):
            x = torch.as_tensor(features[starts[chunk, None] + offsets], dtype=torch.float32)
            if model.strategy != "recursive":
                result = model.module_(x)[:, -1].reshape(len(chunk), -1, count, k)
                out[chunk] = result[:, :horizon].numpy()
                continue
            for h in range(horizon):
                step = model.module_(x)[:, -1].reshape(len(chunk), count, k).numpy()
                value = _next_value(head, step, sample)  # (O, K)
                out[chunk, h] = value[:, None] if sample else step
                if h + 1 < horizon:
                    # The next input row: the value, with the row's other channels
                    # (known-ahead one-hots, static values, the series number).
                    rows = np.minimum(origins[chunk] + h + 1, last[chunk])
                    nxt = torch.as_tensor(features[rows], dtype=torch.float32)
                    nxt[:, :k] = torch.as_tensor(value, dtype=torch.float32)
                    x = torch.cat([x[:, 1:], nxt[:, None]], dim=1)
    return out


def _next_value(head: Any, step: np.ndarray, sample: np.random.Generator | None) -> np.ndarray:
    """(O, K) what a recursive model feeds back from its outputs (O, P, K)."""
    if head is None:
        return step[:, 0]
    if sample is None:
        return head.point(step)
    return head.sample(step, sample)
