"""Short series in a global model: padded, not refused.

Symbols: N series, R rows of the series one after another, C channels, L input length,
H the network's horizon.

A panel's series shorter than one training window (L + H rows) still teach the network
what they can: each that has at least H + 1 rows is padded on the left to L + H rows, so
it gives its windows; one of H rows or fewer gives none (its targets would be padding) but
is still forecast. A forecast from an origin with fewer than L rows before it is padded
the same way. Padding repeats the series' first row (so a per-window normalisation sees
the series' own level, not zeros), and when the model was trained with padding its last
channel, the mask, is 1 on observed rows and 0 on padded ones (NeuralForecast pads zeros
with a mask; repeating the first value keeps RevIN's statistics in the series' units).
"""

from __future__ import annotations

import numpy as np


def training_lengths(lengths: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """(N,) each series' rows once padded for training: ``window`` (L + H) for one with
    H + 1 to L + H - 1 rows, its own otherwise."""
    short = (lengths < window) & (lengths > horizon)
    return np.where(short, window, lengths)


def padded_for_training(
    stacked: np.ndarray, lengths: np.ndarray, window: int, horizon: int, mask: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """``stacked`` (R, C) with the short series padded (``training_lengths``); returns the
    new rows and the new lengths."""
    target = training_lengths(lengths, window, horizon)
    return pad_front(stacked, lengths, target - lengths, mask), target


def pad_front(
    stacked: np.ndarray, lengths: np.ndarray, extra: np.ndarray, mask: int | None
) -> np.ndarray:
    """Each series of ``stacked`` (R, C; ``lengths`` (N,) rows each) with ``extra`` (N,)
    copies of its first row in front; channel ``mask`` (when given) of those copies is 0."""
    if not extra.any():
        return stacked
    starts = np.cumsum(lengths) - lengths
    rows = lengths + extra
    offsets = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows)  # within each
    own = np.repeat(starts, rows) + np.maximum(offsets - np.repeat(extra, rows), 0)
    out = stacked[own]
    if mask is not None:
        out[offsets < np.repeat(extra, rows), mask] = 0.0
    return out


def forecast_padding(
    origins: np.ndarray, which: np.ndarray, n_series: int, input_len: int
) -> np.ndarray:
    """(N,) the rows to put in front of each series so that every origin (its row in its
    own series, of series ``which``) has ``input_len`` rows up to and including it."""
    need = np.zeros(n_series, dtype=np.int64)
    np.maximum.at(need, which, input_len - 1 - origins)
    return np.maximum(need, 0)
