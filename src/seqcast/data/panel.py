"""Many series in one long table: one row per (series id, timestamp).

A panel is a pandas DataFrame indexed by a two-level MultiIndex (id, time), each series'
rows together and in time order, every series on the regular grid of one frequency
(``panel_freq``; kept in ``attrs["freq"]``) with no gaps and no missing or infinite values.
Its columns are the targets, covariates (per step) and static columns (constant within a
series): the long layout pandas users and the Nixtla libraries (``unique_id, ds, y``) use.

``prepare_panel`` makes one from a long DataFrame and ``load_panel`` from a CSV or Parquet
file. Each series goes through the same checks as a single series (``seqcast.data.io``), so
every error names the series and the date at fault: a duplicate (id, time) with other
values, a gap, a missing or infinite value, a second frequency, a non-numeric value. The
checks run on the whole table at once (sorted once by id and time); only a series that
needs repair or has a fault is read on its own. The series' offsets come from the index's
codes (``series_starts``, ``series_lengths``), never from its ids row by row.

Symbols: N series, T_i the length of series i.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from seqcast.data.dates import parse_dates
from seqcast.data.io import (
    Fill,
    infer_frequency,
    prepare_frame,
    read_table,
    refuse_duplicate_columns,
    time_index,
)
from seqcast.errors import SeqcastError

NAMED = 5  # series named in a note that many series share


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
    for column in (id_column, date_column, *(columns or ())):
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
    if len(frame) == 0:
        raise SeqcastError(f"{source} has no rows")
    codes, keys = pd.factorize(frame[id_column], sort=False)  # series in order of first row
    order = np.lexsort((times.asi8, codes))  # by series, then time
    codes, times = codes[order], times[order]
    body = frame.iloc[order].drop(columns=[date_column]).set_axis(times, axis=0)
    regular, offset = _regular_series(codes, times, body, kept, freq)
    parts, said = [], []
    if regular.any():
        taken = regular[codes]
        fast = body.loc[taken, kept]
        stamps, days = pd.factorize(fast.index)  # the index from codes: no id read again
        levels: list[Any] = [keys, days]
        where: list[Any] = [codes[taken], stamps]
        index = pd.MultiIndex(levels, where, names=[id_column, date_column])
        parts.append(fast.set_axis(index, axis=0))
    first = keys[int(np.argmax(regular))] if regular.any() else None
    for code in np.flatnonzero(~regular):  # gaps, duplicates, missing values: one by one
        key = keys[int(code)]
        name = f"series {key!r} of {source}"
        rows = body.iloc[np.searchsorted(codes, code) : np.searchsorted(codes, code, "right")]
        series = prepare_frame(rows[kept], None, freq=freq, fill=fill, source=name)
        own = cast(BaseOffset, time_index(series).freq)
        if offset is None:
            offset, first = own, key
        elif own != offset:
            raise SeqcastError(
                f"series {key!r} of {source} is on a {own.freqstr!r} grid and series "
                f"{first!r} on {offset.freqstr!r}: a panel has one frequency"
            )
        said += [(key, note) for note in series.attrs["notes"]]
        ids = pd.Index([key] * len(series), name=id_column)
        parts.append(series.set_index(ids, append=True).reorder_levels([1, 0]))
    assert offset is not None
    panel = pd.concat(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:  # back to the order of the ids' first rows
        row_codes = pd.Index(keys).get_indexer(panel.index.get_level_values(0))
        panel = panel.iloc[np.argsort(row_codes, kind="stable")]
    panel = _numeric_text_to_numbers(panel)
    panel.attrs.update(notes=notes + _by_kind(said), source=source, freq=offset.freqstr)
    return panel


def _by_kind(said: list[tuple[object, str]]) -> list[str]:
    """One note per kind (its words without numbers and details), the first series' own
    in full and how many other series had one of that kind, naming a few."""
    kinds: dict[str, list[tuple[object, str]]] = {}
    for key, note in said:
        kinds.setdefault(re.sub(r"[\d,.]+", "#", note.split(":")[0]), []).append((key, note))
    notes = []
    for pairs in kinds.values():
        (key, note), others = pairs[0], [k for k, _ in pairs[1:]]
        shown = ", ".join(repr(k) for k in others[:NAMED])
        more = f", ... {len(others) - NAMED} more" if len(others) > NAMED else ""
        also = f" (the same in {len(others)} more series: {shown}{more})" if others else ""
        notes.append(f"series {key!r}: {note}{also}")
    return notes


def _regular_series(
    codes: np.ndarray,
    times: pd.DatetimeIndex,
    body: pd.DataFrame,
    kept: list[str],
    freq: str | None,
) -> tuple[np.ndarray, BaseOffset | None]:
    """(N,) which series (by code) are already regular: at least three rows one step apart,
    the step of the first series so spaced, on the frequency its timestamps lie on, with no
    missing or infinite value; and that frequency (None when no series is regular).
    Rows sorted by series and time. The others go through ``prepare_frame`` one by one."""
    n = int(codes.max()) + 1
    if any(column not in body.columns for column in kept) or not kept:
        return np.zeros(n, dtype=bool), None  # prepare_frame names the problem
    stamps = times.asi8
    same = codes[1:] == codes[:-1]
    steps = np.diff(stamps)[same]
    if len(steps) == 0:
        return np.zeros(n, dtype=bool), None
    lengths = np.bincount(codes, minlength=n)
    owner = codes[1:][same]  # the series of each step
    low = np.full(n, np.iinfo(np.int64).max)
    high = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(low, owner, steps)
    np.maximum.at(high, owner, steps)
    even = np.flatnonzero((lengths >= 3) & (low == high))
    if len(even) == 0:
        return np.zeros(n, dtype=bool), None
    step = int(low[even[0]])  # the first such series' step, as one by one
    odd = np.bincount(owner[steps != step], minlength=n) > 0
    numeric = body[kept].select_dtypes("number").to_numpy(dtype=float)
    blank = body[kept].isna().any(axis=1).to_numpy() | np.isinf(numeric).any(axis=1)
    regular = (lengths >= 3) & ~odd & (np.bincount(codes, weights=blank, minlength=n) == 0)
    if not regular.any():
        return regular, None
    first = np.searchsorted(codes, np.argmax(regular))
    sample = pd.DatetimeIndex(times[first : first + int(lengths[np.argmax(regular)])])
    offset = to_offset(freq) if freq is not None else infer_frequency(sample)
    if offset is None or not _on_grid(sample, offset):
        return np.zeros(n, dtype=bool), None  # one by one: prepare_frame says what is wrong
    starts = pd.DatetimeIndex(times[np.searchsorted(codes, np.flatnonzero(regular))])
    regular[np.flatnonzero(regular)[~_on_offset(starts, offset)]] = False
    return regular, offset


def _on_offset(times: pd.DatetimeIndex, offset: BaseOffset) -> np.ndarray:
    """(len(times),) whether each timestamp lies on ``offset`` (an anchored offset's own
    days, a month's end, ...; every timestamp for a fixed step)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        return np.asarray(times + offset - offset == times)


def _on_grid(index: pd.DatetimeIndex, offset: BaseOffset) -> bool:
    """Whether ``index`` is exactly ``offset``'s grid from its first timestamp."""
    return bool(index.equals(pd.date_range(index[0], periods=len(index), freq=offset)))


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
    runs = _runs(panel)
    if runs is None:
        return list(pd.unique(panel.index.get_level_values(0)))
    index = cast(pd.MultiIndex, panel.index)
    return index.levels[0].take(index.codes[0][runs]).tolist()


def series_lengths(panel: pd.DataFrame) -> np.ndarray:
    """(N,) rows of each series, in the panel's order."""
    runs = _runs(panel)
    if runs is None:
        return np.bincount(pd.factorize(panel.index.get_level_values(0))[0])
    return np.diff(np.append(runs, len(panel)))


def series_starts(panel: pd.DataFrame) -> np.ndarray:
    """(N,) the row of the panel where each series begins."""
    lengths = series_lengths(panel)
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _runs(panel: pd.DataFrame) -> np.ndarray | None:
    """(N,) the first row of each series, read from the index's codes without touching the
    ids themselves; None when some series' rows do not lie together (then the ids are
    counted wherever they are)."""
    codes = np.asarray(cast(pd.MultiIndex, panel.index).codes[0])
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    runs = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1])
    if len(runs) != np.count_nonzero(np.bincount(codes)):
        return None
    return runs.astype(np.int64)


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
    if _runs(panel) is None:
        raise SeqcastError("the rows of each series of the panel must lie together")
    offset = panel_freq(panel)
    times = pd.DatetimeIndex(panel.index.get_level_values(1))
    starts = series_starts(panel)
    stepped = np.ones(len(times), dtype=bool)  # each row one step after the one before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        stepped[1:] = np.asarray(times[:-1] + offset == times[1:])
    stepped[starts] = _on_offset(times[starts], offset)  # and each series' first on the grid
    if not stepped.all():
        key = series_ids(panel)[int(np.searchsorted(starts, np.argmin(stepped), "right")) - 1]
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


def refuse_panel(data: pd.DataFrame, what: str) -> None:
    """Raise when ``data`` is a panel: ``what`` reads one series."""
    if is_panel(data):
        raise SeqcastError(
            f"{what} reads one series, and this data is a panel of "
            f"{len(series_ids(data)):,} series (--id-column): give it a CSV of one series "
            "(seqcast benchmark compares models over a whole panel)"
        )


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
    lengths = series_lengths(panel)
    check_lengths(panel, steps + 1, f"holding out {steps} steps")
    ends = np.repeat(np.cumsum(lengths), lengths)  # (R,) the row after each row's series
    return panel.iloc[np.flatnonzero(np.arange(len(panel)) < ends - steps)]


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
