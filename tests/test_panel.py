"""Panels: many series in one long table, checked series by series; windows over them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import needs_data

from seqcast import SeqcastError, load_dataset, prepare_frame
from seqcast.data.panel import (
    check_lengths,
    drop_last,
    is_panel,
    iter_series,
    load_panel,
    prepare_panel,
    require_numeric_panel,
    series_lengths,
    series_starts,
)
from seqcast.data.windows import Windows

needs_m4 = needs_data("Hourly-train.csv")


def long_table(**lengths: int) -> pd.DataFrame:
    """Hourly series named by the keywords, each of the given length, y = 100·i + t."""
    rows = []
    for i, (key, n) in enumerate(lengths.items()):
        times = pd.date_range("2020-01-01", periods=n, freq="h")
        rows.append(pd.DataFrame({"id": key, "ds": times, "y": 100.0 * i + np.arange(n)}))
    return pd.concat(rows, ignore_index=True)


def test_a_panel_keeps_the_ids_in_order_and_each_series_regular() -> None:
    table = long_table(b=5, a=3).iloc[::-1]  # a's rows first, each series backwards
    panel = prepare_panel(table, "id", "ds")
    assert is_panel(panel) and panel.attrs["freq"] == "h"
    assert list(panel.index.get_level_values("id").unique()) == ["a", "b"]  # first seen first
    assert series_lengths(panel).tolist() == [3, 5] and series_starts(panel).tolist() == [0, 3]
    (first, a), (second, b) = iter_series(panel)
    assert (first, second) == ("a", "b") and b.index.freqstr == "h"
    assert b["y"].tolist() == [0, 1, 2, 3, 4] and a["y"].tolist() == [100, 101, 102]
    assert drop_last(panel, 2)["y"].tolist() == [100, 0, 1, 2]
    with pytest.raises(SeqcastError, match="series 'a' has 3 steps; gru needs at least 4"):
        check_lengths(panel, 4, "gru")


BAD = {
    "duplicate id and date": (
        lambda t: pd.concat([t, t.iloc[[6]].assign(y=-1.0)]),
        "series 'b' of the data has conflicting rows for the same timestamp (same time, "
        "different values): 2020-01-01 01:00:00",
    ),
    "a gap": (
        lambda t: t.drop(index=[8]),
        "series 'b' of the data has 1 missing values, first at 2020-01-01 03:00:00",
    ),
    "mixed frequencies": (
        lambda t: t.assign(
            ds=list(t["ds"].iloc[:5]) + list(pd.date_range("2020-01-01", periods=6, freq="D"))
        ),
        "series 'b' of the data is on a 'D' grid and series 'a' on 'h': a panel has one frequency",
    ),
    "an infinite value": (
        lambda t: t.assign(y=np.where(t.index == 7, np.inf, t["y"])),
        "column 'y' of series 'b' of the data has 1 non-finite values (inf), first at "
        "2020-01-01 02:00:00",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_panels_name_the_series(case: str) -> None:
    change, message = BAD[case]
    table = change(long_table(a=5, b=6))
    with pytest.raises(SeqcastError) as caught:
        prepare_panel(table, "id", "ds")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_non_numeric_value_in_one_series_is_named(tmp_path: Path) -> None:
    table = long_table(a=3, b=3).astype({"y": object})
    table.loc[4, "y"] = "lots"
    path = tmp_path / "panel.csv"
    table.to_csv(path, index=False)
    panel = load_panel(path, "id", "ds")
    with pytest.raises(
        SeqcastError,
        match=r"column 'y' of .*panel.csv is not numeric: 'lots' in series 'b' at "
        r"2020-01-01 01:00:00",
    ):
        require_numeric_panel(panel, ["y"])
    fine = long_table(a=3, b=3)
    fine.to_parquet(tmp_path / "panel.parquet")
    read = load_panel(tmp_path / "panel.parquet", "id", "ds")
    require_numeric_panel(read, ["y"])
    assert read["y"].tolist() == fine["y"].tolist()


def test_gaps_are_filled_within_each_series_on_request() -> None:
    table = long_table(a=4, b=4).drop(index=[5])  # b at 01:00 is missing
    panel = prepare_panel(table, "id", "ds", fill="interpolate")
    assert panel.loc["b", "y"].tolist() == [100, 101, 102, 103]
    assert panel.attrs["notes"][0].startswith("series 'b': 1 timestamps missing")


def test_a_shuffled_panel_with_some_gaps_reads_as_each_series_alone() -> None:
    table = long_table(**{f"s{i}": 6 + i % 4 for i in range(12)}).sample(frac=1, random_state=3)
    table = table.drop(index=[7, 32])  # s1 and s4 lose a step: filled one by one
    panel = prepare_panel(table, "id", "ds", fill="interpolate")
    first_seen = list(dict.fromkeys(table["id"]))
    assert list(panel.index.get_level_values("id").unique()) == first_seen
    for key in first_seen:  # each series as prepare_frame makes it on its own
        own = table[table["id"] == key].drop(columns="id")
        alone = prepare_frame(own, "ds", fill="interpolate")
        np.testing.assert_array_equal(panel.loc[key, "y"], alone["y"])
        assert panel.loc[key].index.equals(alone.index)
    assert panel.attrs["notes"][0].startswith("series ")
    assert "(the same in 1 more series: " in panel.attrs["notes"][0]  # one note per kind


def test_no_window_straddles_two_series() -> None:
    panel = prepare_panel(long_table(a=9, b=4, c=12), "id", "ds")
    values = panel[["y"]].to_numpy()
    windows = Windows.over_series(values, values, series_lengths(panel), length=3, horizon=2)
    # a: 9 - 3 - 2 + 1 = 5 windows, b: none (4 < 5), c: 8
    assert len(windows) == 5 + 0 + 8
    x, y = windows.batch(np.arange(len(windows)))  # (N, 3, 1), (N, 1, 2, 1)
    series_of = (x[:, :, 0] // 100).astype(int)  # y = 100 * series + t
    assert (series_of == series_of[:, :1]).all()  # every input of a window: one series
    assert (y[:, 0, :, 0] // 100 == series_of[:, :2]).all()  # its targets too
    np.testing.assert_array_equal(y[:, 0, :, 0] - x[:, -1:, 0], [[1, 2]] * 13)
    assert windows.series.tolist() == [0] * 5 + [2] * 8


@needs_m4
def test_m4_hourly_reads_as_a_panel_of_train_then_test() -> None:
    panel = load_dataset("m4-hourly")
    lengths = series_lengths(panel)
    assert len(lengths) == 414 and lengths.min() == 700 + 48 and lengths.max() == 960 + 48
    assert panel.attrs["horizon"] == 48 and panel.attrs["season"] == 24
    h1 = panel.loc["H1", "y"]
    assert h1.iloc[:3].tolist() == [605.0, 586.0, 586.0]  # Hourly-train.csv's first values
    assert h1.iloc[-48:-45].tolist() == [619.0, 565.0, 532.0]  # Hourly-test.csv's
    ends = panel.groupby(level="id").tail(1).index.get_level_values("time")
    assert (ends == pd.Timestamp("2018-12-31 23:00")).all()  # every series ends together
