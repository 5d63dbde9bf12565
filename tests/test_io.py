from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast import SeqcastError, load_frame, prepare_frame
from seqcast.data.io import infer_frequency, require_numeric


def raw(dates: list[str], values: list[float], **more: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"when": dates, "y": values, **more})


def test_sorts_sets_frequency_and_keeps_values() -> None:
    frame = prepare_frame(raw(["2020-01-03", "2020-01-01", "2020-01-02"], [3, 1, 2]), "when")
    assert list(frame["y"]) == [1, 2, 3]
    assert frame.index.freqstr == "D"
    assert frame.index.name == "when"
    assert frame.attrs["notes"] == []


def test_drops_exact_duplicates_and_says_so() -> None:
    frame = prepare_frame(
        raw(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"], [1, 2, 2, 3]), "when"
    )
    assert list(frame["y"]) == [1, 2, 3]
    assert frame.attrs["notes"] == ["dropped 1 exact duplicate rows"]


def test_conflicting_duplicates_name_the_timestamps() -> None:
    data = raw(
        ["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"], [1, 2, 5, 3, 3]
    )
    with pytest.raises(SeqcastError, match=r"same timestamp.*2020-01-02$"):
        prepare_frame(data, "when")


def test_gap_is_a_missing_value_error_naming_the_first_dates() -> None:
    data = raw(
        ["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06", "2020-01-07"], [1, 2, 5, 6, 7]
    )
    with pytest.raises(
        SeqcastError, match=r"2 missing values, first at 2020-01-03 \.\. 2020-01-04"
    ):
        prepare_frame(data, "when")


def test_gap_filled_by_interpolation_on_request() -> None:
    data = raw(
        ["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06", "2020-01-07"], [1, 2, 5, 6, 7]
    )
    frame = prepare_frame(data, "when", fill="interpolate")
    assert frame.index.freqstr == "D"
    np.testing.assert_allclose(frame["y"], [1, 2, 3, 4, 5, 6, 7])
    assert any("2 timestamps missing" in n for n in frame.attrs["notes"])
    assert any(
        "filled 2 missing timestamps by linear interpolation" in n for n in frame.attrs["notes"]
    )


def test_nan_value_filled_forward_on_request() -> None:
    data = raw(["2020-01-01", "2020-01-02", "2020-01-03"], [1, float("nan"), 3])
    with pytest.raises(SeqcastError, match="first at 2020-01-02"):
        prepare_frame(data, "when")
    assert list(prepare_frame(data, "when", fill="ffill")["y"]) == [1, 1, 3]


def test_leading_missing_values_cannot_be_filled() -> None:
    data = raw(["2020-01-01", "2020-01-02", "2020-01-03"], [float("nan"), 2, 3])
    with pytest.raises(SeqcastError, match="begins with missing values.*2020-01-01"):
        prepare_frame(data, "when", fill="interpolate")


def test_frequency_inferred_despite_gaps() -> None:
    weekly = pd.date_range("2020-01-04", periods=40, freq="W-SAT")
    index = weekly.delete([3, 4, 17])
    offset = infer_frequency(index)
    assert offset is not None and offset.freqstr == "W-SAT"
    hourly = pd.date_range("2020-01-01", periods=100, freq="h").delete([10, 50, 51])
    offset = infer_frequency(hourly)
    assert offset is not None and offset.freqstr == "h"


def test_given_frequency_must_fit_the_timestamps() -> None:
    data = raw(["2020-01-01 00:00", "2020-01-01 01:30", "2020-01-01 03:00"], [1, 2, 3])
    with pytest.raises(SeqcastError, match="not on the 'h' grid"):
        prepare_frame(data, "when", freq="h")


def test_irregular_timestamps_ask_for_a_frequency() -> None:
    data = raw(["2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 01:15"], [1, 2, 3])
    with pytest.raises(SeqcastError, match="cannot infer the frequency"):
        prepare_frame(data, "when")


def test_unparseable_date_names_value_column_and_row() -> None:
    data = raw(["2020-01-01", "2020-01-02", "not a date"], [1, 2, 3])
    with pytest.raises(
        SeqcastError, match=r"cannot parse date 'not a date' in column 'when'.*row 3"
    ):
        prepare_frame(data, "when")


def test_missing_date_column_lists_the_columns() -> None:
    with pytest.raises(SeqcastError, match=r"no column 'date'; its columns are: when, y"):
        prepare_frame(raw(["2020-01-01"], [1]), "date")


def test_require_numeric_names_the_first_bad_value() -> None:
    frame = prepare_frame(
        raw(["2020-01-01", "2020-01-02", "2020-01-03"], [1, 2, 3], label=["1", "x", "3"]), "when"
    )
    require_numeric(frame, ["y"])
    with pytest.raises(
        SeqcastError, match=r"column 'label' of the data is not numeric: 'x' at 2020-01-02"
    ):
        require_numeric(frame, ["label"])
    with pytest.raises(SeqcastError, match="no column 'z'"):
        require_numeric(frame, ["z"])


def test_the_input_frame_is_not_modified() -> None:
    data = raw(["2020-01-02", "2020-01-01"], [2, 1])
    before = data.copy()
    prepare_frame(data, "when")
    pd.testing.assert_frame_equal(data, before)


def test_load_csv_and_parquet_agree(tmp_path: Path) -> None:
    data = raw(["2020-01-01", "2020-01-02", "2020-01-03"], [1.5, 2.5, 3.5])
    data.to_csv(tmp_path / "s.csv", index=False)
    data.assign(when=pd.to_datetime(data["when"])).to_parquet(tmp_path / "s.parquet")
    from_csv = load_frame(tmp_path / "s.csv", "when")
    from_parquet = load_frame(tmp_path / "s.parquet", "when")
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_index_type=False)
    assert from_csv.index.freqstr == "D"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SeqcastError, match=r"file not found: .*nope\.csv"):
        load_frame(tmp_path / "nope.csv", "when")


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SeqcastError, match="cannot read"):
        load_frame(tmp_path / "empty.csv", "when")


def test_non_finite_values_name_the_column_and_the_first_dates(tmp_path: Path) -> None:
    dates = [f"2020-01-0{d}" for d in range(1, 8)]
    values = [1.0, np.inf, 3.0, -np.inf, np.inf, 6.0, 7.0]
    with pytest.raises(
        SeqcastError,
        match=r"column 'y' of the data has 3 non-finite values \(inf\), first at 2020-01-02, "
        r"2020-01-04 \.\. 2020-01-05",
    ):
        prepare_frame(raw(dates, values), "when")
    with pytest.raises(SeqcastError, match="column 'z' of .*has 1 non-finite values"):
        prepare_frame(raw(dates[:3], [1.0, 2.0, 3.0], z=[0.0, np.inf, 1.0]), "when", fill="ffill")
    path = tmp_path / "inf.csv"
    path.write_text("when,y\n2020-01-01,1\n2020-01-02,inf\n")
    with pytest.raises(SeqcastError, match=r"inf\.csv has 1 non-finite values \(inf\), first at"):
        load_frame(path, "when")
