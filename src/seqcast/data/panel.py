"""Many series in one long table: one row per (series id, timestamp).

A panel is a pandas DataFrame indexed by a two-level MultiIndex (id, time), each series'
rows together and in time order, every series on the regular grid of one frequency
(``panel_freq``; kept in ``attrs["freq"]``) with no gaps and no missing or infinite values.
Its columns are the targets, covariates (per step) and static columns (constant within a
series): the long layout pandas users and the Nixtla libraries (``unique_id, ds, y``) use.

``prepare_panel`` makes one from a long DataFrame and ``load_panel`` from a CSV or Parquet
file. Each series goes through the same checks as a single series (``seqcast.data.io``), so
every error names the series and the date at fault: a duplicate (id, time) with other
values, a gap, a missing or infinite value, a second frequency, a non-numeric value.

Symbols: N series, T_i the length of series i.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from seqcast.data.dates import parse_dates
from seqcast.data.io import Fill, prepare_frame, read_table, refuse_duplicate_columns, time_index
from seqcast.errors import SeqcastError


def prepare_panel(
    frame: pd.DataFrame,
    id_column: str,
    date_column: str,
    *,
    columns: Sequence[str] | None = None,
    freq: str | None = None,
    fill: Fill | None = None,
    source: str = "the data",
    dayfirst: bool | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """The panel of a long DataFrame with an ``id_column`` and a ``date_column``.

    ``columns`` keeps only those value columns; ``freq`` checks every series against that
    grid (inferred otherwise, and then it must be the same for every series); ``fill``
    fills gaps and missing values within each series (``"interpolate"`` or ``"ffill"``);
    ``dayfirst`` and ``timezone`` say how to read the dates (``seqcast.data.dates``), which
    are read once for the whole table. Series keep the order in which their ids first
    appear.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SeqcastError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    refuse_duplicate_columns(list(frame.columns), source)
    for column in (id_column, date_column):
        if column not in frame.columns:
            raise SeqcastError(
                f"{source} has no column {column!r}; its columns are: "
                f"{', '.join(map(str, frame.columns))}"
            )
    if frame[id_column].isna().any():
        row = int(np.argmax(frame[id_column].isna().to_numpy()))
        raise SeqcastError(f"{source} has an empty series id (row {row + 1} of the data)")
    kept = [c for c in frame.columns if c not in (id_column, date_column)]
    if columns is not None:
        kept = list(columns)
    notes: list[str] = []
    times = parse_dates(
        frame[date_column], date_column, source, notes, dayfirst=dayfirst, timezone=timezone
    )
    body = frame.drop(columns=[date_column]).set_axis(times, axis=0)
    parts, offset = [], None
    for key, rows in body.groupby(id_column, sort=False):
        name = f"series {key!r} of {source}"
        series = prepare_frame(rows[kept], None, freq=freq, fill=fill, source=name)
        own = cast(BaseOffset, time_index(series).freq)
        if offset is None:
            offset, first = own, key
        elif own != offset:
            raise SeqcastError(
                f"series {key!r} of {source} is on a {own.freqstr!r} grid and series "
                f"{first!r} on {offset.freqstr!r}: a panel has one frequency"
            )
        notes += [f"series {key!r}: {note}" for note in series.attrs["notes"]]
        parts.append(series.set_index(pd.Index([key] * len(series), name=id_column), append=True))
    if not parts:
        raise SeqcastError(f"{source} has no rows")
    assert offset is not None
    panel = pd.concat(parts).reorder_levels([id_column, date_column])
    panel = _numeric_text_to_numbers(panel)
    panel.attrs.update(notes=notes, source=source, freq=offset.freqstr)
    return panel


def load_panel(
    path: str | Path,
    id_column: str,
    date_column: str,
    *,
    columns: Sequence[str] | None = None,
    freq: str | None = None,
    fill: Fill | None = None,
    dayfirst: bool | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Read a long CSV or Parquet file (``id_column``, ``date_column``, values) as a panel;
    the ids are read as text, as written."""
    raw = read_table(path, date_column, id_column)
    return prepare_panel(
        raw,
        id_column,
        date_column,
        columns=columns,
        freq=freq,
        fill=fill,
        source=str(path),
        dayfirst=dayfirst,
        timezone=timezone,
    )


def is_panel(data: object) -> bool:
    """True for a DataFrame indexed by (series id, timestamp)."""
    return (
        isinstance(data, pd.DataFrame)
        and isinstance(data.index, pd.MultiIndex)
        and data.index.nlevels == 2
        and isinstance(data.index.levels[1], pd.DatetimeIndex)
    )


def panel_freq(panel: pd.DataFrame) -> BaseOffset:
    """The panel's frequency (``attrs["freq"]``, else inferred from its first series)."""
    if panel.attrs.get("freq"):
        return to_offset(panel.attrs["freq"])
    times = pd.DatetimeIndex(panel.index.get_level_values(1)[: int(series_lengths(panel)[0])])
    inferred = pd.infer_freq(times) if len(times) >= 3 else None
    if inferred is None:
        raise SeqcastError("cannot tell the panel's frequency; make it with prepare_panel")
    return to_offset(inferred)


def series_ids(panel: pd.DataFrame) -> list[object]:
    """The ids, in the panel's order."""
    return list(pd.unique(panel.index.get_level_values(0)))


def series_lengths(panel: pd.DataFrame) -> np.ndarray:
    """(N,) rows of each series, in the panel's order."""
    codes = pd.factorize(panel.index.get_level_values(0))[0]
    return np.bincount(codes)


def series_starts(panel: pd.DataFrame) -> np.ndarray:
    """(N,) the row of the panel where each series begins."""
    lengths = series_lengths(panel)
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def last_rows(panel: pd.DataFrame) -> np.ndarray:
    """(N,) the row of the panel where each series ends."""
    return np.cumsum(series_lengths(panel)).astype(np.int64) - 1


def series_of_rows(panel: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """(R,) the number of the series (in the panel's order) each of ``rows`` belongs to."""
    return np.searchsorted(series_starts(panel), rows, side="right") - 1


def iter_series(panel: pd.DataFrame) -> Iterator[tuple[object, pd.DataFrame]]:
    """(id, the series as a DataFrame with a regular DatetimeIndex), in the panel's order."""
    offset = panel_freq(panel)
    for key, start, length in zip(
        series_ids(panel), series_starts(panel), series_lengths(panel), strict=True
    ):
        rows = panel.iloc[start : start + length].droplevel(0)
        rows.index = pd.DatetimeIndex(rows.index, freq=offset)
        rows.attrs = {"source": f"series {key!r} of {panel.attrs.get('source', 'the data')}"}
        yield key, rows


def from_series(series: dict[object, pd.DataFrame], id_name: str = "id") -> pd.DataFrame:
    """A panel of regular single-series frames, by id (the inverse of ``iter_series``)."""
    if not series:
        raise SeqcastError("a panel needs at least one series")
    offsets = {getattr(frame.index, "freq", None) for frame in series.values()}
    if len(offsets) != 1 or None in offsets:
        raise SeqcastError("the series of a panel need one frequency, set on each index")
    (offset,) = offsets
    panel = pd.concat(series, names=[id_name])
    panel.attrs["freq"] = cast(BaseOffset, offset).freqstr
    return panel


def require_numeric_panel(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise naming the series and date of the first non-numeric value of ``columns``."""
    source = panel.attrs.get("source", "the data")
    for column in columns:
        if column not in panel.columns:
            raise SeqcastError(
                f"{source} has no column {column!r}; its columns are: "
                f"{', '.join(map(str, panel.columns))}"
            )
        values = panel[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        row = int(np.argmax(bad.to_numpy())) if bad.any() else 0
        key, when = panel.index[row]
        raise SeqcastError(
            f"column {column!r} of {source} is not numeric: {values.iloc[row]!r} in series "
            f"{key!r} at {pd.Timestamp(when)}"
        )


def check_panel(panel: pd.DataFrame, targets: Sequence[str], min_history: int, what: str) -> None:
    """Raise, naming the series, unless ``panel`` is a panel whose series each lie together,
    in time order, on the panel's regular grid, with numeric and complete ``targets`` and at
    least ``min_history`` steps (``what`` needs them)."""
    if not is_panel(panel):
        raise SeqcastError(
            "expected a panel: a DataFrame indexed by (series id, timestamp); "
            "seqcast.data.panel.prepare_panel makes one"
        )
    codes = pd.factorize(panel.index.get_level_values(0))[0]
    if (np.diff(codes) < 0).any() or len(np.unique(codes)) != 1 + int(np.sum(np.diff(codes) != 0)):
        raise SeqcastError("the rows of each series of the panel must lie together")
    offset = panel_freq(panel)
    times = pd.DatetimeIndex(panel.index.get_level_values(1))
    for key, start, length in zip(
        series_ids(panel), series_starts(panel), series_lengths(panel), strict=True
    ):
        own = times[start : start + length]
        if not own.equals(pd.date_range(own[0], periods=length, freq=offset)):
            raise SeqcastError(
                f"series {key!r} is not on the panel's regular {offset.freqstr!r} grid "
                "(out of order, a gap, or a duplicate timestamp)"
            )
    require_numeric_panel(panel, targets)
    missing = panel[list(targets)].isna().any(axis=1).to_numpy()
    if missing.any():
        key, when = panel.index[int(np.argmax(missing))]
        raise SeqcastError(f"series {key!r} has a missing target value at {pd.Timestamp(when)}")
    check_lengths(panel, min_history, what)


def check_lengths(panel: pd.DataFrame, needed: int, what: str) -> None:
    """Raise naming the first series shorter than ``needed`` steps (``what`` needs them)."""
    lengths = series_lengths(panel)
    short = np.flatnonzero(lengths < needed)
    if len(short):
        key = series_ids(panel)[short[0]]
        more = f" (and {len(short) - 1} more series)" if len(short) > 1 else ""
        raise SeqcastError(
            f"series {key!r} has {lengths[short[0]]} steps; {what} needs at least {needed}{more}"
        )


def drop_last(panel: pd.DataFrame, steps: int) -> pd.DataFrame:
    """The panel without the last ``steps`` rows of every series."""
    lengths, starts = series_lengths(panel), series_starts(panel)
    check_lengths(panel, steps + 1, f"holding out {steps} steps")
    keep = np.concatenate(
        [np.arange(s, s + n - steps) for s, n in zip(starts, lengths, strict=True)]
    )
    return panel.iloc[keep]


def _numeric_text_to_numbers(panel: pd.DataFrame) -> pd.DataFrame:
    """Text columns whose every value reads as a number become numbers (a CSV column with
    one bad value in one series is read as text; the other series' numbers are fine)."""
    for column in panel.columns:
        values = panel[column]
        if values.dtype == object:
            numbers = pd.to_numeric(values, errors="coerce")
            if not (numbers.isna() & values.notna()).any():
                panel[column] = numbers
    return panel
