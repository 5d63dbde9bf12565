"""Chronological splits: by date ranges, or by the standard ETT row borders."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


def date_slice(frame: pd.DataFrame, start: str | None, end: str | None, what: str) -> pd.DataFrame:
    """Rows from ``start`` to ``end`` inclusive; partial dates work (``"2019-05"`` is all May).
    Of a panel, every series' rows in the range.

    An empty result, or a range that reaches outside the data, is an error naming ``what``.
    """
    times = frame.index.get_level_values(-1)
    first, last = times.min(), times.max()
    lo = _bound(start, what, "start")
    hi = _bound(end, what, "end")
    if lo is not None and hi is not None and lo[0] > hi[1]:
        raise SeqcastError(f"{what}: start {start} is after end {end}")
    if lo is not None and lo[1] < first:
        raise SeqcastError(f"{what}: start {start} is before the data begins ({first})")
    if hi is not None and hi[0] > last:
        raise SeqcastError(f"{what}: end {end} is after the data ends ({last})")
    if hi is not None and hi[1] < first:
        raise SeqcastError(f"{what}: end {end} is before the data begins ({first})")
    if lo is not None and lo[0] > last:
        raise SeqcastError(f"{what}: start {start} is after the data ends ({last})")
    if isinstance(frame.index, pd.MultiIndex):  # a panel: (series, time)
        keep = np.ones(len(frame), dtype=bool)
        if lo is not None:
            keep &= times >= lo[0]
        if hi is not None:
            keep &= times <= hi[1]
        part = frame[keep]
    else:
        part = frame.loc[start:end]
    if part.empty:
        raise SeqcastError(f"{what}: no data between {start or first} and {end or last}")
    return part


def split_by_dates(
    frame: pd.DataFrame,
    train: tuple[str | None, str | None],
    valid: tuple[str | None, str | None],
    test: tuple[str | None, str | None] | None = None,
) -> Split:
    """Chronological parts by inclusive date ranges, e.g. the ridership split:
    ``train=("2016-01", "2018-12"), valid=("2019-01", "2019-05"), test=("2019-06", None)``.
    Without ``test`` the test part is empty. Overlapping parts are an error."""
    named = [("train", train), ("valid", valid)] + ([("test", test)] if test else [])
    parts = [(name, date_slice(frame, *rng, what=name)) for name, rng in named]
    for (a_name, a), (b_name, b) in itertools.pairwise(parts):
        if a.index[-1] >= b.index[0]:
            raise SeqcastError(f"{a_name} (to {a.index[-1]}) overlaps {b_name} (from {b.index[0]})")
    frames = [p for _, p in parts]
    return Split(frames[0], frames[1], frames[2] if test else frame.iloc[0:0])


# Twelve, four and four months of 30 days; multiply by steps per hour for ETTm data.
ETT_TRAIN_HOURS = 12 * 30 * 24
ETT_VALID_HOURS = 4 * 30 * 24
ETT_TEST_HOURS = 4 * 30 * 24


def ett_borders(lookback: int, steps_per_hour: int = 1) -> dict[str, tuple[int, int]]:
    """Row ranges ``[begin, end)`` of the long-term-forecasting protocol for ETT data.

    Hourly: train [0, 8640), valid [8640 - L, 11520), test [11520 - L, 14400).
    """
    return part_borders(
        lookback,
        (
            ETT_TRAIN_HOURS * steps_per_hour,
            ETT_VALID_HOURS * steps_per_hour,
            ETT_TEST_HOURS * steps_per_hour,
        ),
    )


def part_borders(lookback: int, rows: tuple[int, int, int]) -> dict[str, tuple[int, int]]:
    """Row ranges ``[begin, end)`` of consecutive train, valid and test parts of ``rows``
    rows each. Validation and test windows start ``L`` rows early, so their first target
    follows the previous part."""
    train, valid, test = rows
    if min(rows) < 1:
        raise SeqcastError(f"each part needs at least one row, got {rows}")
    if not 0 < lookback <= train:
        raise SeqcastError(f"lookback must be between 1 and {train}, got {lookback}")
    return {
        "train": (0, train),
        "valid": (train - lookback, train + valid),
        "test": (train + valid - lookback, train + valid + test),
    }


def ett_split(frame: pd.DataFrame, lookback: int, steps_per_hour: int = 1) -> Split:
    """The three ETT parts of ``frame`` by ``ett_borders``."""
    borders = ett_borders(lookback, steps_per_hour)
    needed = borders["test"][1]
    if len(frame) < needed:
        raise SeqcastError(f"the ETT split needs {needed} rows, the data has {len(frame)}")
    return Split(*(frame.iloc[a:b] for a, b in borders.values()))


def _bound(value: str | None, what: str, which: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The span of time a (possibly partial) date string covers: '2019-05' is all May."""
    if value is None:
        return None
    try:
        period = pd.Period(value)
    except (ValueError, TypeError) as exc:
        raise SeqcastError(f"{what}: cannot parse {which} date {value!r}") from exc
    return period.start_time, period.end_time
