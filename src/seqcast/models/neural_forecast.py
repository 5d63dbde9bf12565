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

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError
from seqcast.models.base import rows_after
from seqcast.models.intervals import bound_probabilities, ordered
from seqcast.models.neural_fit import TrainedNetwork
from seqcast.training import History, window_spread

if TYPE_CHECKING:
    from collections.abc import Callable

    from seqcast.data.windows import Windows
    from seqcast.models.channels import Channels
    from seqcast.models.neural_windows import WindowedModel
    from seqcast.networks.heads import Head

CHUNK = 8192  # windows per forward pass when forecasting many origins
SAMPLE_PATHS = 500  # paths a recursive model samples for its intervals


def forecast_windows(
    trained: TrainedNetwork,
    features: np.ndarray,
    origins: np.ndarray,
    last: np.ndarray,
    horizon: int,
    *,
    input_len: int,
    n_targets: int,
    recursive: bool,
    head: Head | None,
    seed: int,
    levels: tuple[float, ...] = (),
    phase: tuple[int, int] | None = None,
    offsets: np.ndarray | None = None,
) -> np.ndarray:
    """(O, n, K, 1 + 2L) forecasts, de-scaled, from rows ``origins`` of ``features`` (T, C),
    each with ``input_len`` rows of its series before it (checked by the caller), then the
    bounds of each level's interval; each origin's series ends at row ``last`` (a recursive
    forecast reads the known-ahead values of its next steps up to there). A ``recursive``
    network is fed its own forecasts; with a ``head`` it samples paths for its intervals,
    each origin's from a generator seeded with ``seed`` and the origin's row, so they do
    not depend on which other origins are forecast with it. ``phase`` (channel, period m):
    a recursive forecast's next rows get their calendar phase counted on from the origin's,
    also beyond the data's last row. ``offsets`` (O, logged): each origin's series' log
    offset c, taken off a logged target's forecasts after the exp."""
    from seqcast.networks.heads import rescale

    run = functools.partial(
        _run,
        trained.module,
        features,
        input_len=input_len,
        k=n_targets,
        recursive=recursive,
        phase=phase,
    )
    raw = run(origins, last, horizon, None, head=head)  # (O, n, P, K)
    k = n_targets
    scale, shift = trained.channels.scale[:k], trained.channels.shift[:k]
    # a logged target's forecasts are its logs (of y + c)
    values = functools.partial(trained.channels.from_logs, offsets=offsets)
    if head is None:
        return values(raw[:, :, 0] * scale + shift)[..., None]
    params = rescale(head, raw, shift, scale)
    point = values(head.point(params))  # (O, n, K)
    if not levels:
        return point[..., None]
    probabilities = bound_probabilities(levels)
    if recursive:  # origins in groups that fill a chunk, each origin its own generator
        per_run = max(1, CHUNK // SAMPLE_PATHS)
        parts = []
        for group in np.split(np.arange(len(origins)), range(per_run, len(origins), per_run)):
            draws_of = [np.random.default_rng([seed & 0xFFFFFFFF, int(o)]) for o in origins[group]]
            each = np.repeat(group, SAMPLE_PATHS)  # S rows per origin
            parts.append(run(origins[each], last[each], horizon, draws_of, head=head)[:, :, 0])
        draws = np.concatenate(parts)
        paths = values(draws.reshape(len(origins), SAMPLE_PATHS, horizon, k) * scale + shift)
        bounds = np.moveaxis(np.quantile(paths, probabilities, axis=1), 0, -1)
    else:
        bounds = values(head.quantiles(params, probabilities), axis=-2)  # (O, n, K, 2L)
    return np.concatenate([point[..., None], ordered(bounds)], axis=-1)


def forecast_origins(valid: Windows, steps: int) -> tuple[np.ndarray, int]:
    """The origins (rows of ``valid.values``) whose recursive forecasts validate, and n, the
    steps each forecasts: in every series (one, or each of a panel's), from the last input
    row of its first held-out window, every n rows while n of its held-out targets follow;
    n = ``steps``, or less where a series' held-out stretch is shorter (0: the shortest
    stretch)."""
    series = np.zeros(len(valid), dtype=np.int64) if valid.series is None else valid.series
    _, which = np.unique(series, return_inverse=True)
    first = np.full(which.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, which, valid.starts + valid.length - 1)  # the last input row
    end = np.zeros_like(first)
    np.maximum.at(end, which, valid.starts + valid.steps.max() + valid.horizon)  # last target
    stretch = int((end - first).min())
    n = min(steps, stretch) if steps > 0 else stretch
    ranges = [np.arange(f, e - n + 1, n) for f, e in zip(first, end, strict=True)]
    origins = np.concatenate(ranges)
    return origins, n


def forecast_validation(
    model: WindowedModel, channels: Channels, held: Windows, *, per_window: bool
) -> Callable[[Any], tuple[float, float]]:
    """``train.valid_forecast``'s score of a module: ``forecast_errors`` of its forecasts
    from ``forecast_origins(held, model.train.valid_steps)``. What every epoch compares
    against (the held-out values, each window's spread) is taken here, once."""
    import torch

    origins, steps = forecast_origins(held, model.train.valid_steps)
    if steps < 2:
        raise SeqcastError(
            f"{model.name}: train.valid_forecast forecasts each series' held-out steps, and "
            f"it has {steps}; set train.valid_steps to the horizon (2 or more)"
        )
    k = len(model.targets_)
    scale, shift = channels.scale[:k], channels.shift[:k]
    ahead = held.values[origins[:, None] + np.arange(1, steps + 1), :k]  # (O, n, K), scaled
    units = np.ones((1, 1, k))
    if per_window:  # each window's spread, as ``training.evaluate`` divides by it
        inputs = held.values[origins[:, None] + np.arange(1 - model.input_len, 1)]  # (O, L, C)
        spread = window_spread(torch.as_tensor(inputs, dtype=torch.float64), k).numpy()
        units = spread * np.abs(scale)  # (O, 1, K), in the targets' units
    return functools.partial(
        forecast_errors,
        channels=channels,
        features=held.values,
        origins=origins,
        actual=ahead * scale + shift,
        units=units,
        input_len=model.input_len,
        head=model.head,
    )


def forecast_errors(
    module: Any,
    *,
    channels: Channels,
    features: np.ndarray,
    origins: np.ndarray,
    actual: np.ndarray,
    units: np.ndarray,
    input_len: int,
    head: Head | None,
) -> tuple[float, float]:
    """MAE and MSE of ``module``'s recursive point forecasts of the ``actual`` (O, n, K)
    values after ``origins`` (rows of ``features`` (T, C), scaled), each error divided by
    ``units`` (broadcast against (O, n, K)); a logged target's values are its logs."""
    steps, k = actual.shape[1:]
    point = forecast_windows(
        TrainedNetwork(channels, module, History()),
        features,
        origins,
        origins + steps,
        steps,
        input_len=input_len,
        n_targets=k,
        recursive=True,
        head=head,
        seed=0,
        phase=channels.phase,
    )[..., 0]  # (O, n, K), in the targets' units
    error = (channels.to_logs(point) - actual) / units  # a logged target's in its logs
    return float(np.abs(error).mean()), float(np.square(error).mean())


def _run(
    module: Any,
    features: np.ndarray,
    origins: np.ndarray,
    last: np.ndarray,
    horizon: int,
    sample: list[np.random.Generator] | None,
    *,
    input_len: int,
    k: int,
    recursive: bool,
    head: Head | None,
    phase: tuple[int, int] | None = None,
) -> np.ndarray:
    """(O, n, P, K) the network's outputs in the scaled units (P = 1 without a head). A
    recursive network is fed back its point forecast, or with ``sample`` (a generator per
    origin, whose rows come together and fill whole chunks) a draw from its distribution
    (then the output holds the draws, P = 1). A steppable one (``seqcast.networks``) reads
    the window once and carries its state (and the window's scaling) through the steps, as
    DeepAR does; another reads its window slid on by one row at each step. A next row's
    calendar ``phase`` is counted on from the origin's. Runs where ``module`` is: the
    features go there once and the outputs come back once (a sampled path's draws are made
    on the CPU, each step)."""
    import torch

    from seqcast.networks import steppable
    from seqcast.training import device_of

    device = device_of(module)
    count = 1 if head is None else head.params
    values = torch.as_tensor(features, dtype=torch.float32).to(device)  # (T, C)
    offsets = torch.arange(input_len, device=device)
    starts = torch.as_tensor(origins - input_len + 1).to(device)
    ends = torch.as_tensor(last).to(device)
    at = torch.as_tensor(origins).to(device)
    wide = torch.float32 if device.type == "mps" else torch.float64  # mps has no float64
    stepping = recursive and steppable(module)
    out = torch.empty((len(origins), horizon, 1 if sample else count, k), dtype=wide, device=device)
    module.eval()
    with torch.no_grad():
        for chunk in torch.arange(len(origins), device=device).split(CHUNK):
            x = values[starts[chunk, None] + offsets]  # (O', L, C)
            if not recursive:
                result = module(x)[:, -1].reshape(len(chunk), -1, count, k)
                out[chunk] = result[:, :horizon].to(wide)
                continue
            outputs, state = module.encode(x) if stepping else (module(x), None)  # (O', L, O)
            for h in range(horizon):
                step = outputs[:, -1].reshape(len(chunk), count, k)
                value = _next_value(head, step, sample)  # (O', K)
                out[chunk, h] = (value[:, None] if sample else step).to(wide)
                if h + 1 < horizon:
                    # The next input row: the value, with the row's other channels
                    # (known-ahead one-hots, static values, the series number).
                    nxt = values[torch.minimum(at[chunk] + h + 1, ends[chunk])]  # a copy
                    nxt[:, :k] = value
                    if phase is not None:  # counted on: past the last row it is a copy
                        column, period = phase
                        nxt[:, column] = (values[at[chunk], column] + h + 1) % period
                    if stepping:
                        outputs, state = module.step(nxt[:, None], state)  # (O', 1, O)
                    else:
                        x = torch.cat([x[:, 1:], nxt[:, None]], dim=1)
                        outputs = module(x)
    return out.cpu().numpy().astype(np.float64, copy=False)


def _next_value(head: Any, step: Any, sample: list[np.random.Generator] | None) -> Any:
    """(O, K) what a recursive model feeds back from its outputs (O, P, K), on their device
    (a sampled draw comes from the generator of its origin, ``sample``, on the CPU)."""
    import torch

    if head is None:
        return step[:, 0]
    if sample is None:
        return head.point(step)
    rows = np.split(step.cpu().numpy(), len(sample))  # each origin's paths
    draw = np.concatenate([head.sample(part, rng) for part, rng in zip(rows, sample, strict=True)])
    wide = torch.float32 if step.device.type == "mps" else torch.float64
    return torch.as_tensor(draw).to(step.device, wide)  # kept as drawn, fed back as float32


def with_future(
    data: pd.DataFrame,
    origins: np.ndarray,
    horizon: int,
    future: pd.DataFrame | None,
    channels: Channels,
    known_ahead: tuple[str, ...],
    name: str,
) -> pd.DataFrame:
    """``data`` extended by the ``known_ahead`` values after its last row, from ``future``,
    as far as forecasts of ``horizon`` steps from ``origins`` (rows of ``data``) read."""
    needed = int(origins.max()) + horizon + 1 - len(data)
    if needed <= 0:
        return data
    extra = rows_after(data, future, needed, known_ahead, name).copy()
    for column in channels.numeric:
        extra[column] = 0.0  # never read: forecasts only look at known-ahead values there
    for column in channels.static:
        extra[column] = data[column].iloc[-1]  # constant: the series' own value
    kept = [*channels.numeric, *known_ahead, *channels.static]
    return pd.concat([data[kept], extra])
