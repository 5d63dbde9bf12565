"""Dates read as their writer meant: numbers as years or yyyymmdd, day/month told apart or
refused, zoned dates in UTC (or a named zone) with a note; and headers named twice refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, load_frame, load_panel, prepare_frame


def table(dates: list[object], values: list[float] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"when": dates, "y": values or [float(i) for i in range(len(dates))]})


def test_whole_numbers_are_years_or_yyyymmdd_and_other_numbers_are_refused() -> None:
    years = prepare_frame(table([1990, 1991, 1992, 1993]), "when")
    assert list(years.index.year) == [1990, 1991, 1992, 1993]
    assert years.index.freqstr == "YS-JAN"
    assert years.attrs["notes"] == ["read the numbers in column 'when' of the data as years"]
    days = prepare_frame(table([20200131, 20200201, 20200202]), "when")
    assert list(days.index.strftime("%Y-%m-%d")) == ["2020-01-31", "2020-02-01", "2020-02-02"]
    assert prepare_frame(table(["1990", "1991", "1992"]), "when").index.year[0] == 1990
    with pytest.raises(SeqcastError, match=r"holds numbers \(1.6e\+09\), not dates: give dates"):
        prepare_frame(table([1_600_000_000, 1_600_086_400, 1_600_172_800]), "when")
    with pytest.raises(SeqcastError, match="cannot parse date '20201340' .* as %Y%m%d"):
        prepare_frame(table([20201339 + 1, 20201301, 20201302]), "when")


def test_day_and_month_are_told_apart_or_the_choice_is_asked_for() -> None:
    late = prepare_frame(table(["30/01/2020", "31/01/2020", "01/02/2020"]), "when")
    assert list(late.index.strftime("%m-%d")) == ["01-30", "01-31", "02-01"]  # day first
    us = prepare_frame(table(["01/30/2020", "01/31/2020", "02/01/2020"]), "when")
    assert list(us.index.strftime("%m-%d")) == ["01-30", "01-31", "02-01"]  # month first
    monthly = ["01/01/2020", "01/02/2020", "01/03/2020", "01/04/2020"]
    with pytest.raises(SeqcastError, match=r"read both as day/month and as month/day .*--dayfirst"):
        prepare_frame(table(monthly), "when")
    by_month = prepare_frame(table(monthly), "when", dayfirst=True)
    assert by_month.index.freqstr == "MS" and by_month.index[1] == pd.Timestamp("2020-02-01")
    by_day = prepare_frame(table(monthly), "when", dayfirst=False)
    assert by_day.index.freqstr == "D" and by_day.index[1] == pd.Timestamp("2020-01-02")
    with pytest.raises(SeqcastError, match="cannot parse date '13/01/2020'"):
        prepare_frame(table(["12/01/2020", "13/01/2020"]), "when", dayfirst=False)


def test_zoned_dates_become_utc_or_the_zone_named_and_a_mix_is_refused() -> None:
    summer = ["2021-03-28 00:00+01:00", "2021-03-28 01:00+01:00", "2021-03-28 03:00+02:00"]
    utc = prepare_frame(table(summer), "when")  # the clocks went forward: offsets differ
    assert list(utc.index.strftime("%H:%M")) == ["23:00", "00:00", "01:00"]
    assert utc.index.freqstr == "h"
    assert "from UTC to UTC" in utc.attrs["notes"][0]
    paris = prepare_frame(table(summer), "when", timezone="Europe/Paris", freq="h", fill="ffill")
    assert paris.index[0] == pd.Timestamp("2021-03-28 00:00")
    with pytest.raises(SeqcastError, match="mixes dates with a time zone"):
        prepare_frame(table(["2021-01-01 00:00Z", "2021-01-01 01:00"]), "when")
    with pytest.raises(SeqcastError, match="unknown time zone 'Mars/Olympus'"):
        prepare_frame(table(summer), "when", timezone="Mars/Olympus")
    aware = pd.DataFrame(
        {"y": [1.0, 2.0, 3.0]},
        index=pd.date_range("2021-01-01", periods=3, freq="h", tz="Asia/Tokyo"),
    )
    assert prepare_frame(aware).index[0] == pd.Timestamp("2020-12-31 15:00")


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("date,y,y\n2020-01-01,1,2\n2020-01-02,3,4\n")
    with pytest.raises(SeqcastError, match=r"twice.csv has two columns named 'y'; rename one"):
        load_frame(path, "date")
    frame = pd.DataFrame([[1, 2], [3, 4]], columns=["y", "y"])
    frame.index = pd.date_range("2020-01-01", periods=2, freq="D")
    with pytest.raises(SeqcastError, match="two columns named 'y'"):
        prepare_frame(frame)
    with pytest.raises(SeqcastError, match="expected a pandas DataFrame, got Series"):
        prepare_frame(frame.iloc[:, 0])  # type: ignore[arg-type]


def test_panel_ids_are_text_as_written(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    days = pd.date_range("2020-01-01", periods=3)
    rows = [(key, day, float(i)) for key in ("7", "07", "007", "1.0") for i, day in enumerate(days)]
    pd.DataFrame(rows, columns=["id", "day", "y"]).to_csv(path, index=False)
    panel = load_panel(path, "id", "day")
    assert list(panel.index.get_level_values("id").unique()) == ["7", "07", "007", "1.0"]
    pd.DataFrame(rows, columns=["id", "day", "y"]).to_parquet(tmp_path / "ids.parquet")
    again = load_panel(tmp_path / "ids.parquet", "id", "day")
    assert list(again.index.get_level_values("id").unique()) == ["7", "07", "007", "1.0"]


def test_the_command_line_reads_years_and_takes_dayfirst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    years = tmp_path / "years.csv"
    pd.DataFrame({"year": np.arange(1950, 2020), "y": np.sin(np.arange(70.0))}).to_csv(
        years, index=False
    )
    common = ["analyze", "--csv", str(years), "--date-column", "year", "--target", "y"]
    code, _, _ = run_cli([*common, "--out", str(tmp_path / "a")], capsys)
    assert code == 0 and '"first": "1950-01-01' in (tmp_path / "a" / "analysis.json").read_text()
    monthly = tmp_path / "monthly.csv"
    dates = [f"01/{m:02d}/{2000 + y}" for y in range(6) for m in range(1, 13)]
    noise = np.random.default_rng(0).normal(size=72)
    pd.DataFrame({"date": dates, "y": noise}).to_csv(monthly, index=False)
    common = ["analyze", "--csv", str(monthly), "--date-column", "date", "--target", "y"]
    code, _, err = run_cli([*common, "--out", str(tmp_path / "b")], capsys)
    assert code == 1 and "--dayfirst or --monthfirst" in err
    code, _, err = run_cli([*common, "--dayfirst", "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
