"""The M4 competition's series (Makridakis et al. 2020), one group at a time, as panels.

The M4 repository gives each group as two CSV files: ``Hourly-train.csv`` holds one row per
series, its id (``H1``...) then its values, padded with empty cells; ``Hourly-test.csv``
holds the next H values of each. The files carry no dates, so every series gets a regular
index of the group's frequency, all series ending at the same time: the test steps of
every series share their dates (the last H of 2018 for hourly data, and so on).

The panel holds train and test together in one column ``y``; the test part is the last
``horizon`` rows of each series (``attrs["horizon"]``), and ``attrs["season"]`` is M4's
period m for MASE and the benchmarks' seasonal adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError

M4_URL = "https://github.com/Mcompetitions/M4-methods/raw/master/Dataset/"


@dataclass(frozen=True)
class M4Group:
    """One M4 group: its file prefix, frequency, horizon H, season m, number of series, the
    date of every series' last (test) step, and the sha256 of its files where known."""

    prefix: str
    freq: str
    horizon: int
    season: int
    series: int
    last: str
    train_sha256: str | None = None
    test_sha256: str | None = None

    @property
    def name(self) -> str:
        return f"m4-{self.prefix.lower()}"


GROUPS = {
    group.name: group
    for group in (
        M4Group(
            "Hourly",
            "h",
            48,
            24,
            414,
            "2018-12-31 23:00",
            "ea59b7783573c49077a835ab6465c7d66f1474783360f310988a9a737fbca62f",
            "71a57fccb15e534d973626ada4fb87febf789e9317715b7cc6dd3b5f90db6f42",
        ),
        M4Group("Daily", "D", 14, 1, 4227, "2018-12-31"),
        M4Group("Weekly", "W-SUN", 13, 1, 359, "2018-12-30"),
        M4Group("Monthly", "MS", 18, 12, 48000, "2018-12-01"),
        M4Group("Quarterly", "QS", 8, 4, 24000, "2018-10-01"),
        M4Group("Yearly", "YS", 6, 1, 23000, "2018-01-01"),
    )
}


def read_m4(group: M4Group, train: Path, test: Path) -> pd.DataFrame:
    """The group's panel (id, time) -> y from its train and test files."""
    ids, values = _rows(train)
    test_ids, ahead = _rows(test)
    if test_ids != ids:
        raise SeqcastError(f"{test} does not list the series of {train} in the same order")
    for key, row in zip(test_ids, ahead, strict=True):
        if len(row) != group.horizon:
            raise SeqcastError(
                f"{test}: series {key!r} has {len(row)} test values; the {group.prefix} "
                f"horizon is {group.horizon}"
            )
    series = [np.concatenate([a, b]) for a, b in zip(values, ahead, strict=True)]
    lengths = np.array([len(s) for s in series])
    # Every series ends at the same time: each index is the tail of one long range.
    times = pd.date_range(end=group.last, periods=int(lengths.max()), freq=group.freq, unit="s")
    index = pd.MultiIndex.from_arrays(
        [np.repeat(ids, lengths), np.concatenate([times[len(times) - n :] for n in lengths])],
        names=["id", "time"],
    )
    panel = pd.DataFrame({"y": np.concatenate(series)}, index=index)
    panel.attrs.update(
        freq=group.freq,
        horizon=group.horizon,
        season=group.season,
        source=f"M4 {group.prefix} ({train.name}, {test.name})",
        notes=[
            f"{len(ids)} series of {lengths.min()}-{lengths.max()} values; the last "
            f"{group.horizon} of each are the test file's"
        ],
    )
    return panel


def _rows(path: Path) -> tuple[list[str], list[np.ndarray]]:
    """The ids and the value rows of an M4 file (trailing empty cells dropped)."""
    try:
        raw = pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise SeqcastError(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc
    ids = raw.iloc[:, 0].astype(str).tolist()
    try:
        values = raw.iloc[:, 1:].to_numpy(dtype=float)
    except ValueError as exc:
        raise SeqcastError(f"{path} holds a value that is not a number") from exc
    rows = []
    for key, row in zip(ids, values, strict=True):
        present = ~np.isnan(row)
        count = int(present.sum())
        if not present[:count].all():
            gap = int(np.argmin(present[:count])) + 1
            raise SeqcastError(f"{path}: series {key!r} has an empty cell at value {gap}")
        if not np.isfinite(row[:count]).all():
            raise SeqcastError(f"{path}: series {key!r} has a non-finite value")
        rows.append(row[:count])
    return ids, rows
