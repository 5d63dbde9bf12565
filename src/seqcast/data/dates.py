"""Reading a column of dates as what its writer meant, or refusing it with a reason.

- Numbers are years (``2020``) or ``yyyymmdd`` (``20200131``), never nanoseconds since 1970;
  any other number is refused.
- ``dd/mm/yyyy`` and ``mm/dd/yyyy`` (any of ``/ . -`` between) are told apart by a field
  over 12; when every date reads both ways the column is refused unless ``dayfirst`` says
  which (``--dayfirst`` / ``--monthfirst``).
- Dates with a time zone or an offset become naive dates in UTC, or in the zone
  ``timezone`` names, with a note; a column that mixes dates with and without one is
  refused.

Every refusal names the column, where it came from and an example value.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError

_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?$")
# a time of day followed by a zone: "...10:00Z", "...10:00:00+01:00", "...10:00 -0500"
_ZONED = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})\s*$")
_YEAR = re.compile(r"^\s*\d{4}\s*$")


def parse_dates(
    raw: pd.Series,
    column: str,
    source: str,
    notes: list[str],
    *,
    dayfirst: bool | None = None,
    timezone: str | None = None,
) -> pd.DatetimeIndex:
    """The dates of column ``column`` (``raw``) as a naive DatetimeIndex; what was read in
    a way worth saying goes to ``notes``. Each distinct value is read once (a panel's
    series share their dates)."""
    where = f"column {column!r} of {source}"
    codes, distinct = pd.factorize(raw)  # missing values: code -1
    values = pd.Series(distinct, dtype=raw.dtype)
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        parsed = _from_numbers(values, where, notes)
    else:
        text = values.astype("string")
        if len(text) and text.str.match(_YEAR).all():
            parsed = _strict(text.str.strip(), "%Y", where)
        else:
            dayfirst = _day_or_month_first(text, where, dayfirst)
            parsed = _parse_text(values, text, where, dayfirst)
    dates = pd.DatetimeIndex(parsed).take(codes, allow_fill=True, fill_value=None)
    _refuse_missing(raw, dates, column, source)
    return _naive(pd.DatetimeIndex(dates, name=column), where, notes, timezone)


def naive_index(
    index: pd.DatetimeIndex, source: str, notes: list[str], timezone: str | None = None
) -> pd.DatetimeIndex:
    """``index`` without a time zone: converted to UTC (or ``timezone``) when it has one."""
    return _naive(index, f"the index of {source}", notes, timezone)


def _from_numbers(raw: pd.Series, where: str, notes: list[str]) -> pd.Series:
    """Years or yyyymmdd from a column of numbers; anything else is refused."""
    values = raw.to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    whole = bool(np.all(present == np.round(present)))
    if whole and len(present) and ((present >= 1000) & (present <= 9999)).all():
        notes.append(f"read the numbers in {where} as years")
        return _strict(_as_text(raw), "%Y", where)
    if whole and len(present) and ((present >= 1000_01_01) & (present <= 9999_12_31)).all():
        notes.append(f"read the numbers in {where} as yyyymmdd dates")
        return _strict(_as_text(raw), "%Y%m%d", where)
    example = present[0] if len(present) else values[0]
    raise SeqcastError(
        f"{where} holds numbers ({example:g}), not dates: give dates such as 2020-01-31, "
        "years (2020) or yyyymmdd (20200131)"
    )


def _as_text(raw: pd.Series) -> pd.Series:
    """Whole numbers as their digits (NaN kept)."""
    return raw.map(lambda v: v if pd.isna(v) else str(int(v)))


def _strict(raw: pd.Series, layout: str, where: str) -> pd.Series:
    """Dates of one layout; a value that does not fit it is refused by name."""
    parsed = pd.to_datetime(raw, format=layout, errors="coerce")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        value = raw[bad].iloc[0]
        raise SeqcastError(f"cannot parse date {value!r} in {where} as {layout}")
    return parsed


def _day_or_month_first(present: pd.Series, where: str, dayfirst: bool | None) -> bool | None:
    """Whether day/month dates put the day first: ``dayfirst`` when given, else what their
    fields allow; None for dates of another layout."""
    fields = present.str.extract(_DAY_MONTH)
    if len(present) == 0 or fields[0].isna().any():
        return dayfirst
    first, second = fields[0].astype(int), fields[1].astype(int)
    day_first, month_first = bool((second <= 12).all()), bool((first <= 12).all())
    if dayfirst is not None:
        return dayfirst
    if day_first and month_first and not (first == second).all():
        example = present[first != second].iloc[0]
        raise SeqcastError(
            f"the dates in {where} read both as day/month and as month/day ({example!r}); "
            "say which with --dayfirst or --monthfirst (dayfirst=True or False)"
        )
    return day_first and not month_first


def _parse_text(raw: pd.Series, present: pd.Series, where: str, dayfirst: bool | None) -> pd.Series:
    """Dates from text; offsets or zones (all or none of them) to UTC."""
    zoned = present.str.contains(_ZONED)
    if zoned.any() and not zoned.all():
        example = present[zoned].iloc[0]
        raise SeqcastError(
            f"{where} mixes dates with a time zone ({example!r}) and dates without one; "
            "give every date one, or none"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" chatter
        try:
            return pd.to_datetime(
                raw, errors="coerce", dayfirst=bool(dayfirst), utc=bool(zoned.any())
            )
        except (ValueError, TypeError) as exc:
            raise SeqcastError(f"cannot parse the dates in {where}: {exc}") from exc


def _refuse_missing(raw: pd.Series, parsed: pd.DatetimeIndex, column: str, source: str) -> None:
    bad = np.asarray(parsed.isna())
    if bad.any():
        row = int(np.argmax(bad))
        value = raw.iloc[row]
        what = "an empty date" if pd.isna(value) else f"cannot parse date {value!r}"
        raise SeqcastError(f"{what} in column {column!r} of {source} (row {row + 1} of the data)")


def _naive(
    index: pd.DatetimeIndex, where: str, notes: list[str], timezone: str | None
) -> pd.DatetimeIndex:
    """The dates in ``timezone`` (default UTC) without their zone, when they have one."""
    if index.tz is None:
        return index
    zone = timezone or "UTC"
    try:
        converted = index.tz_convert(zone).tz_localize(None)
    except Exception as exc:  # pytz and zoneinfo raise their own kinds for a bad name
        raise SeqcastError(f"unknown time zone {zone!r}: {exc}") from exc
    notes.append(f"converted the dates in {where} from {index.tz} to {zone}, without a zone")
    return converted
