from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import needs_etth1, needs_ridership

from seqcast import SeqcastError, load_dataset
from seqcast.data.splits import date_slice, ett_borders, ett_split, split_by_dates
from seqcast.data.windows import seq2vec_windows


@needs_ridership
def test_ridership_split_by_month_ranges() -> None:
    split = split_by_dates(
        load_dataset("ridership"), ("2016-01", "2018-12"), ("2019-01", "2019-05"), ("2019-06", None)
    )
    assert (split.train.index[0], split.train.index[-1]) == (
        pd.Timestamp("2016-01-01"),
        pd.Timestamp("2018-12-31"),
    )
    assert len(split.train) == 366 + 365 + 365
    assert (split.valid.index[0], split.valid.index[-1]) == (
        pd.Timestamp("2019-01-01"),
        pd.Timestamp("2019-05-31"),
    )
    assert split.test.index[0] == pd.Timestamp("2019-06-01")
    assert split.test.index[-1] == pd.Timestamp("2021-11-30")


def test_ett_borders_for_hourly_data() -> None:
    assert ett_borders(96) == {"train": (0, 8640), "valid": (8544, 11520), "test": (11424, 14400)}
    assert ett_borders(720)["test"] == (10800, 14400)
    assert ett_borders(96, steps_per_hour=4)["test"] == (4 * 11520 - 96, 4 * 14400)


@needs_etth1
def test_ett_split_gives_the_reference_window_counts() -> None:
    split = ett_split(load_dataset("etth1"), lookback=96)
    assert [len(p) for p in (split.train, split.valid, split.test)] == [8640, 2976, 2976]
    # rows - L - H + 1 windows per split, as the reference code counts them
    inputs, _ = seq2vec_windows(split.test.to_numpy(), 96, 96)
    assert len(inputs) == 2785


def test_date_slice_errors_name_the_part(daily: pd.DataFrame) -> None:
    with pytest.raises(SeqcastError, match="valid: start 2019-01 is before the data begins"):
        date_slice(daily, "2019-01", "2020-01-05", what="valid")
    with pytest.raises(SeqcastError, match="test: end 2021 is after the data ends"):
        date_slice(daily, "2020-01-05", "2021", what="test")
    with pytest.raises(SeqcastError, match="start 2020-02-10 is after end 2020-02-01"):
        date_slice(daily, "2020-02-10", "2020-02-01", what="x")
    with pytest.raises(SeqcastError, match="cannot parse start date 'soon'"):
        date_slice(daily, "soon", None, what="x")
    with pytest.raises(SeqcastError, match="--origin: end 2019-06 is before the data begins"):
        date_slice(daily, None, "2019-06", what="--origin")
    with pytest.raises(SeqcastError, match="train: start 2030 is after the data ends"):
        date_slice(daily, "2030", None, what="train")
    assert len(date_slice(daily, "2020-01", "2020-01", what="x")) == 31


def test_date_slice_of_a_panel_keeps_every_series_rows_in_the_range() -> None:
    days = pd.date_range("2020-01-01", periods=60)
    panel = pd.DataFrame(
        {"y": np.arange(90.0)},
        index=pd.MultiIndex.from_tuples(
            [("a", day) for day in days] + [("b", day) for day in days[30:]], names=["id", "t"]
        ),
    )
    part = date_slice(panel, "2020-01-25", "2020-02", what="train")
    assert part.groupby(level=0).size().to_dict() == {"a": 36, "b": 30}
    assert part.index.get_level_values(1).min() == pd.Timestamp("2020-01-25")
    assert part.index.get_level_values(1).max() == pd.Timestamp("2020-02-29")
    with pytest.raises(SeqcastError, match="train: end 2020-03-05 is after the data ends"):
        date_slice(panel, None, "2020-03-05", what="train")


def test_overlapping_parts_are_refused(daily: pd.DataFrame) -> None:
    with pytest.raises(SeqcastError, match="train .* overlaps valid"):
        split_by_dates(daily, ("2020-01-01", "2020-01-20"), ("2020-01-15", "2020-02-01"))
    split = split_by_dates(daily, ("2020-01-01", "2020-01-20"), ("2020-01-21", "2020-02-01"))
    assert len(split.train) == 20 and len(split.valid) == 12
    assert split.test.empty
    split = split_by_dates(
        daily, ("2020-01", "2020-01"), ("2020-02-01", "2020-02-09"), ("2020-02-10", None)
    )
    np.testing.assert_array_equal(split.test["a"], np.arange(40.0, 60.0))
