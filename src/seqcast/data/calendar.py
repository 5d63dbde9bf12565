"""Where a date lies in the calendar, counted in steps of a frequency.

``calendar_steps`` numbers dates by the steps of their frequency since a fixed origin
(1970-01-01), so that ``calendar_steps(dates, freq) % m`` is the same phase of a season of
m steps for every series that shares the calendar (the hour of the day for hourly data
and m = 24, the month of the year for monthly data and m = 12), wherever a window of it
starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset, Tick

from seqcast.errors import SeqcastError

# offsets counted in months: the months a step of n = 1 spans
_MONTHS = {
    "MonthBegin": 1,
    "MonthEnd": 1,
    "QuarterBegin": 3,
    "QuarterEnd": 3,
    "YearBegin": 12,
    "YearEnd": 12,
}


def calendar_steps(dates: pd.DatetimeIndex, freq: BaseOffset) -> np.ndarray:
    """(T,) int64 steps of ``freq`` from 1970-01-01 to each of ``dates``: exact for fixed
    steps (hours, days, minutes), months, quarters, years and weeks; for other offsets
    (business days, for one) the steps from the first date, so only series that start
    on the same date share their phases."""
    if isinstance(freq, Tick):
        since = (dates - pd.Timestamp(0)) // pd.Timedelta(freq)
        return np.asarray(since, dtype=np.int64)
    kind = type(freq).__name__
    if kind in _MONTHS:
        months = np.asarray(dates.year, dtype=np.int64) * 12 + np.asarray(dates.month) - 1
        return months // (_MONTHS[kind] * freq.n)
    if kind == "Week":
        days = (dates.normalize() - pd.Timestamp(0)) // pd.Timedelta(days=1)
        return np.asarray(days, dtype=np.int64) // (7 * freq.n)
    if len(dates) and not dates.is_monotonic_increasing:
        raise SeqcastError("the dates of a series must increase")
    return np.arange(len(dates), dtype=np.int64)
