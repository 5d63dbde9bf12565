"""Reading a table of timestamped values into a clean, regular DataFrame.

Every series in seqcast is a pandas DataFrame with a sorted DatetimeIndex whose ``freq`` is
set and no missing values. ``prepare_frame`` makes one from a DataFrame, ``load_frame`` from
a CSV or Parquet file. What they changed on the way (duplicates dropped, gaps filled) is
listed, one sentence each, in ``frame.attrs["notes"]``, and where it came from in
``frame.attrs["source"]`` (so later errors can name the file).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from seqcast.data.dates import naive_index, parse_dates
from seqcast.errors import SeqcastError

Fill = Literal["interpolate", "ffill"]
FILL_METHODS: tuple[str, ...] = ("interpolate", "ffill")
_MAX_LISTED = 5


def load_frame(
    path: str | Path,
    date_column: str,
    *,
    columns: Sequence[str] | None = None,
    freq: str | None = None,
    fill: Fill | None = None,
    dayfirst: bool | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a regular time-indexed DataFrame.

    Parameters
    ----------
    path : the file; ``.csv`` (optionally compressed) or ``.parquet``.
    date_column : the column holding the timestamps.
    columns : the value columns to keep (default: all).
    freq : a pandas frequency alias (``"D"``, ``"h"``, ``"W-SAT"``); inferred when omitted.
    fill : ``"interpolate"`` or ``"ffill"`` to fill missing values; by default they are an
        error that names the first missing dates.
    dayfirst, timezone : how to read the dates (``prepare_frame``).
    """
    raw = read_table(path, date_column)
    return prepare_frame(
        raw,
        date_column,
        columns=columns,
        freq=freq,
        fill=fill,
        source=str(path),
        dayfirst=dayfirst,
        timezone=timezone,
    )


def read_table(path: str | Path, date_column: str, id_column: str | None = None) -> pd.DataFrame:
    """The raw rows of a CSV (optionally compressed) or Parquet file; a missing or unreadable
    file, or a CSV header that names a column twice, is an error naming it. A Parquet file
    indexed by ``date_column`` gets it back as a column. The ``id_column`` of a panel is
    read as text, as written ("007" stays "007")."""
    path = Path(path)
    if path.is_dir():
        raise SeqcastError(f"{path} is a directory, not a CSV or Parquet file")
    if not path.is_file():
        raise SeqcastError(f"file not found: {path}")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            raw = pd.read_parquet(path)
            if date_column not in raw.columns and raw.index.name == date_column:
                raw = raw.reset_index()
            if id_column is not None and id_column in raw.columns:
                raw[id_column] = raw[id_column].astype("str")  # as a CSV reads them
            return raw
        header = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0].tolist()
        refuse_duplicate_columns(header, str(path))
        return pd.read_csv(path, dtype={id_column: str} if id_column is not None else None)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SeqcastError(f"cannot read {path}: {first_line}") from exc


def refuse_duplicate_columns(names: Iterable[object], source: str) -> None:
    """Raise naming the first column name that ``names`` holds twice."""
    seen: set[object] = set()
    for name in names:
        if name in seen:
            raise SeqcastError(f"{source} has two columns named {name!r}; rename one")
        seen.add(name)


def prepare_frame(
    frame: pd.DataFrame,
    date_column: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    freq: str | None = None,
    fill: Fill | None = None,
    source: str = "the data",
    dayfirst: bool | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Sort by time, drop exact duplicates, set the frequency and check for missing values.

    ``date_column=None`` uses the frame's DatetimeIndex. Dates are read as
    ``seqcast.data.dates`` says: numbers as years or yyyymmdd, ``dayfirst`` for dates whose
    day and month could be either, zoned dates converted to UTC (or ``timezone``).
    Timestamps missing from the regular grid become missing values (rows of NaN), so they
    too are an error unless ``fill`` is given. Returns a new DataFrame; the input is not
    modified.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SeqcastError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if fill is not None and fill not in FILL_METHODS:
        raise SeqcastError(f"unknown fill method {fill!r}; choose one of {', '.join(FILL_METHODS)}")
    refuse_duplicate_columns(list(frame.columns), source)
    notes: list[str] = []
    df = _index_by_time(frame, date_column, source, notes, dayfirst, timezone)
    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SeqcastError(_missing_columns_message(missing, df.columns, source))
        df = df[list(columns)]
    if df.shape[1] == 0:
        raise SeqcastError(f"{source} has no value columns besides the dates")
    if len(df) == 0:
        raise SeqcastError(f"{source} has no rows")

    df = df.sort_index(kind="mergesort")
    df = _drop_duplicates(df, source, notes)
    offset = _frequency(time_index(df), freq, source)
    df = _regularise(df, offset, notes)
    refuse_non_finite(df, source)
    df = _handle_missing(df, fill, source, notes)
    df.attrs["notes"] = notes
    df.attrs["source"] = source
    return df


def target_names(targets: object, columns: Iterable[object]) -> list[str]:
    """The columns ``targets`` names: one name or a list of them, each once (None or empty:
    every one of ``columns``). Whether the data has them is ``require_numeric``'s check."""
    if targets is None:
        return list(columns)  # type: ignore[arg-type]
    if isinstance(targets, str) or not isinstance(targets, Iterable):
        return [targets]  # type: ignore[list-item]  # a name of another type: named missing
    names = list(targets)
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise SeqcastError(f"target {twice!r} is named twice")
    return names or list(columns)


def require_numeric(df: pd.DataFrame, columns: Sequence[str], source: str | None = None) -> None:
    """Raise naming the first non-numeric value if any of ``columns`` is not numeric.

    ``source`` names the data in the message (default: where ``prepare_frame`` read it).
    """
    source = source or str(df.attrs.get("source", "the data"))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SeqcastError(_missing_columns_message(missing, df.columns, source))
    for column in columns:
        values = df[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna() & values.notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise SeqcastError(
                f"column {column!r} of {source} is not numeric: {values.iloc[row]!r} at "
                f"{_fmt(df.index[row])}"
            )
        raise SeqcastError(f"column {column!r} of {source} is not numeric (dtype {values.dtype})")


def refuse_non_finite(df: pd.DataFrame, source: str) -> None:
    """Raise naming the column and its first dates if a numeric column holds inf or -inf
    (missing values are handled, and named, on their own)."""
    numeric = df.select_dtypes("number")
    for column in numeric.columns:
        bad = np.isinf(numeric[column].to_numpy(dtype=float))
        if bad.any():
            dates = time_index(df)[bad]
            raise SeqcastError(
                f"column {column!r} of {source} has {int(bad.sum())} non-finite values (inf), "
                f"first at {_describe_runs(dates, time_index(df).freq)}; "
                "remove or replace them"
            )


def _index_by_time(
    frame: pd.DataFrame,
    date_column: str | None,
    source: str,
    notes: list[str],
    dayfirst: bool | None,
    timezone: str | None,
) -> pd.DataFrame:
    if date_column is None:
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise SeqcastError(
                f"{source} has no DatetimeIndex; name the column that holds the dates"
            )
        if frame.index.hasnans:
            raise SeqcastError(f"{source} has missing timestamps (NaT) in its index")
        df = frame.copy()
        df.index = naive_index(frame.index, source, notes, timezone)
        return df
    if date_column not in frame.columns:
        raise SeqcastError(_missing_columns_message([date_column], frame.columns, source))
    index = parse_dates(
        frame[date_column], date_column, source, notes, dayfirst=dayfirst, timezone=timezone
    )
    df = frame.drop(columns=[date_column])
    df.index = index
    return df


def _drop_duplicates(df: pd.DataFrame, source: str, notes: list[str]) -> pd.DataFrame:
    if df.index.is_unique:
        return df
    with_time = df.reset_index()
    exact = with_time.duplicated(keep="first").to_numpy()
    df = df[~exact]
    if exact.any():
        notes.append(f"dropped {int(exact.sum())} exact duplicate rows")
    conflicts = df.index[df.index.duplicated()].unique()
    if len(conflicts):
        listed = ", ".join(_fmt(t) for t in conflicts[:_MAX_LISTED])
        more = f" and {len(conflicts) - _MAX_LISTED} more" if len(conflicts) > _MAX_LISTED else ""
        raise SeqcastError(
            f"{source} has conflicting rows for the same timestamp (same time, different "
            f"values): {listed}{more}"
        )
    return df


def _frequency(index: pd.DatetimeIndex, freq: str | None, source: str) -> BaseOffset:
    if freq is not None:
        try:
            offset = to_offset(freq)
        except ValueError as exc:
            raise SeqcastError(f"unknown frequency {freq!r}: {exc}") from exc
        off_grid = ~index.isin(pd.date_range(index[0], index[-1], freq=offset))
        if off_grid.any():
            raise SeqcastError(
                f"timestamp {_fmt(index[int(off_grid.argmax())])} of {source} is not on the "
                f"{freq!r} grid that starts at {_fmt(index[0])}"
            )
        return offset
    inferred = infer_frequency(index)
    if inferred is None:
        raise SeqcastError(
            f"cannot infer the frequency of {source}; give it (e.g. --freq D or freq='D')"
        )
    return inferred


def infer_frequency(index: pd.DatetimeIndex) -> BaseOffset | None:
    """The regular frequency that every timestamp of ``index`` lies on, gaps allowed.

    Tries ``pd.infer_freq`` on the whole index, then on short runs sampled along it (so a
    few gaps do not defeat it), and accepts the first candidate whose grid holds every
    timestamp. Returns None when no candidate fits.
    """
    if len(index) < 2:
        return None
    whole = _infer(index) if len(index) >= 3 else None
    if whole is not None:
        return to_offset(whole)
    candidates: Counter[str] = Counter()
    for run in (5, 3):
        step = max(1, len(index) // 50)
        for start in range(0, len(index) - run + 1, step):
            found = _infer(index[start : start + run])
            if found is not None:
                candidates[found] += 1
    smallest = pd.Timedelta(np.diff(index.asi8).min(), unit=index.unit)
    aliases = [alias for alias, _ in candidates.most_common()] + [to_offset(smallest).freqstr]
    for alias in aliases:
        offset = to_offset(alias)
        if index.isin(pd.date_range(index[0], index[-1], freq=offset)).all():
            return offset
    return None


def _infer(index: pd.DatetimeIndex) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 announces a change of return type
        found = pd.infer_freq(index)
    if found is None:
        return None
    return str(getattr(found, "freqstr", found))


def _regularise(df: pd.DataFrame, offset: BaseOffset, notes: list[str]) -> pd.DataFrame:
    grid = pd.date_range(df.index[0], df.index[-1], freq=offset, name=df.index.name)
    if len(grid) != len(df):
        absent = grid.difference(time_index(df))
        notes.append(
            f"{len(absent)} timestamps missing from the {offset.freqstr} grid: "
            f"{_describe_runs(absent, offset)}"
        )
        df = df.reindex(grid)
    else:
        df = df.copy()
        df.index = grid
    return df


def _handle_missing(
    df: pd.DataFrame, fill: Fill | None, source: str, notes: list[str]
) -> pd.DataFrame:
    missing_rows = df.isna().any(axis=1).to_numpy()
    if not missing_rows.any():
        return df
    dates = time_index(df)[missing_rows]
    offset = time_index(df).freq
    if fill is None:
        raise SeqcastError(
            f"{source} has {len(dates)} missing values, first at {_describe_runs(dates, offset)}; "
            "fill them (--fill interpolate|ffill, or fill=...) or clean the data"
        )
    numeric = df.select_dtypes("number").columns
    other = df.columns.difference(numeric)
    if fill == "interpolate":
        df[numeric] = df[numeric].interpolate(method="linear", limit_area="inside")
    else:
        df[numeric] = df[numeric].ffill()
    if len(other):
        df[other] = df[other].ffill()
    still = df.isna().any(axis=1).to_numpy()
    if still.any():
        raise SeqcastError(
            f"{source} begins with missing values that cannot be filled "
            f"({_describe_runs(time_index(df)[still], offset)}); drop those rows"
        )
    how = "linear interpolation" if fill == "interpolate" else "carrying the last value forward"
    notes.append(f"filled {len(dates)} missing timestamps by {how}")
    return df


def _describe_runs(dates: pd.DatetimeIndex, offset: BaseOffset | None) -> str:
    """'2001-02-03 .. 2001-02-05, 2001-03-10' for the first few runs of consecutive dates."""
    runs: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for t in dates:
        if runs and offset is not None and runs[-1][1] + offset == t:
            runs[-1] = (runs[-1][0], t)
        else:
            if len(runs) == _MAX_LISTED:
                break
            runs.append((t, t))
    text = ", ".join(_fmt(a) if a == b else f"{_fmt(a)} .. {_fmt(b)}" for a, b in runs)
    return text + (", ..." if len(runs) == _MAX_LISTED and runs[-1][1] != dates[-1] else "")


def steps_between(first: pd.Timestamp, later: pd.Timestamp, freq: BaseOffset) -> int:
    """Steps of ``freq`` from ``first`` to ``later`` (negative when ``later`` comes first)."""
    if later == first:
        return 0
    low, high = sorted([first, later])
    steps = len(pd.date_range(low, high, freq=freq)) - 1
    return steps if later > first else -steps


def time_index(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """``frame.index`` as the DatetimeIndex it is (checked), for code and type checker alike."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise SeqcastError("expected a DataFrame indexed by time")
    return cast(pd.DatetimeIndex, frame.index)


def _missing_columns_message(missing: Sequence[str], present: pd.Index, source: str) -> str:
    names = ", ".join(repr(c) for c in missing)
    plural = "columns" if len(missing) > 1 else "column"
    return f"{source} has no {plural} {names}; its columns are: {', '.join(map(str, present))}"


def _fmt(t: object) -> str:
    ts = pd.Timestamp(t)  # type: ignore[arg-type]
    return str(ts.date()) if ts == ts.normalize() else str(ts)
