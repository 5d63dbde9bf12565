from __future__ import annotations

import functools
import http.server
import shutil
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA_DIR, needs_etth1, needs_ridership

from seqcast import SeqcastError, list_datasets, load_dataset
from seqcast.data import datasets


def test_every_dataset_is_listed_with_its_facts() -> None:
    names = [d.name for d in list_datasets()]
    m4 = ["m4-hourly", "m4-daily", "m4-weekly", "m4-monthly", "m4-quarterly", "m4-yearly"]
    assert names == ["co2", "sine", "sine40", "ridership", "etth1", "etth2", *m4]
    with pytest.raises(SeqcastError, match="unknown dataset 'nope'; choose one of co2, sine"):
        load_dataset("nope")


def test_co2_is_weekly_with_its_59_gaps_interpolated() -> None:
    from statsmodels.datasets import co2

    raw = co2.load_pandas().data["co2"]
    frame = load_dataset("co2")
    assert frame.shape == (2284, 1) and frame.index.freqstr == "W-SAT"
    assert frame.attrs["notes"] == ["filled 59 missing weeks by linear interpolation"]
    gaps = raw.isna().to_numpy()
    assert gaps.sum() == 59
    np.testing.assert_array_equal(frame["co2"].to_numpy()[~gaps], raw.to_numpy()[~gaps])
    # Every filled week lies on the line between the observed weeks around its gap.
    weeks, values = np.arange(len(raw)), raw.to_numpy()
    expected = np.interp(weeks[gaps], weeks[~gaps], values[~gaps])
    np.testing.assert_allclose(frame["co2"].to_numpy()[gaps], expected, rtol=1e-12)


def test_sine_follows_its_formula() -> None:
    frame = load_dataset("sine")
    t = np.arange(1, 1001)
    noise = frame["x"].to_numpy() - np.sin(0.01 * t)
    assert len(frame) == 1000
    assert noise.std() == pytest.approx(0.2, abs=0.015)
    pd.testing.assert_frame_equal(frame, load_dataset("sine"))  # fixed seed


def test_sine40_is_exact() -> None:
    frame = load_dataset("sine40")
    np.testing.assert_allclose(frame["x"], np.sin(2 * np.pi * np.arange(800) / 40))


@needs_ridership
def test_ridership_as_the_book_loads_it() -> None:
    frame = load_dataset("ridership")
    assert list(frame.columns) == ["bus", "rail", "day_type"]
    assert len(frame) == 7639
    assert frame.index[0] == pd.Timestamp("2001-01-01")
    assert frame.index[-1] == pd.Timestamp("2021-11-30")
    assert frame.index.freqstr == "D"
    assert set(frame["day_type"]) == {"W", "A", "U"}
    assert "dropped 62 exact duplicate rows" in frame.attrs["notes"]
    assert frame.loc["2019-03-01", "rail"] > 0


@needs_etth1
def test_etth1_is_hourly_with_seven_columns() -> None:
    frame = load_dataset("etth1")
    assert frame.shape == (17420, 7)
    assert list(frame.columns) == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert frame.index.freqstr == "h"


def test_offline_without_the_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve_from(monkeypatch, "etth1", "http://127.0.0.1:9/ETTh1.csv")  # nothing listens there
    with pytest.raises(SeqcastError, match=r"ETTh1.csv is not in .* set SEQCAST_DATA_DIR"):
        load_dataset("etth1", data_dir=tmp_path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on localhost serving files from a folder."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


@needs_etth1
def test_download_checks_sha256_and_caches(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = server
    shutil.copy(DATA_DIR / "ETTh1.csv", root / "ETTh1.csv")
    _serve_from(monkeypatch, "etth1", f"{url}/ETTh1.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    frame = load_dataset("etth1", data_dir=empty)
    assert frame.shape == (17420, 7)
    assert frame.attrs["notes"][0].startswith(f"downloaded {url}/ETTh1.csv")
    (root / "ETTh1.csv").unlink()  # the second load must come from the cache
    again = load_dataset("etth1", data_dir=empty)
    assert again.attrs["notes"][0].endswith("(cache)")
    pd.testing.assert_frame_equal(frame, again)


@needs_ridership
def test_download_extracts_the_csv_from_the_archive(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = server
    name = "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"
    with tarfile.open(root / "ridership.tgz", "w:gz") as archive:
        archive.add(DATA_DIR / name, arcname=f"ridership/{name}")
    _serve_from(monkeypatch, "ridership", f"{url}/ridership.tgz")
    frame = load_dataset("ridership", data_dir=tmp_path)
    assert len(frame) == 7639


def test_a_corrupt_download_is_refused_and_not_kept(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = server
    (root / "ETTh1.csv").write_text("date,OT\n2016-07-01 00:00:00,1.0\n")
    _serve_from(monkeypatch, "etth1", f"{url}/ETTh1.csv")
    with pytest.raises(SeqcastError, match="has sha256 .* expected f18de3ad"):
        load_dataset("etth1", data_dir=tmp_path)
    assert not (datasets.cache_dir() / "ETTh1.csv").exists()


def test_a_local_file_that_differs_is_used_with_a_note(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2016-07-01", periods=5, freq="h"),
            **{c: np.arange(5.0) for c in datasets._ETT_COLUMNS},
        }
    )
    frame.to_csv(tmp_path / "ETTh1.csv", index=False)
    loaded = load_dataset("etth1", data_dir=tmp_path)
    assert loaded.shape == (5, 7)
    assert any("differs from the published file" in n for n in loaded.attrs["notes"])


def _serve_from(monkeypatch: pytest.MonkeyPatch, name: str, url: str) -> None:
    info, loader = datasets._DATASETS[name]
    (remote,) = info.files
    moved = replace(info, files=(replace(remote, url=url),))
    monkeypatch.setitem(datasets._DATASETS, name, (moved, loader))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_runs_settings_are_the_dataset_defaults_under_what_is_given(tmp_path: Path) -> None:
    from seqcast import DataSource

    rail = DataSource(dataset="ridership").settings()
    assert (rail.targets, rail.horizon, rail.season) == (["rail"], 14, 7)
    assert (rail.start, rail.end, rail.train_start) == ("2019-01-01", "2019-05-31", "2016-01-01")
    bus = DataSource(dataset="ridership").settings(target="bus", horizon=1, season=364)
    assert (bus.targets, bus.horizon, bus.season, bus.start) == (["bus"], 1, 364, "2019-01-01")
    m4 = DataSource(dataset="m4-hourly").settings()
    assert (m4.target, m4.horizon, m4.season, m4.windows) == ("y", 48, 24, 1)
    with pytest.raises(SeqcastError, match="a panel forecasts one target column"):
        DataSource(dataset="m4-hourly").settings(target=["y", "z"])
    own = DataSource(csv=str(tmp_path / "my.csv"), date_column="date")
    with pytest.raises(SeqcastError, match="with --csv, give --target, --start and --end"):
        own.settings(target="load", start="2024-01")
    mine = own.settings(target="load", start="2024-01", end="2024-02")
    assert (mine.horizon, mine.season, mine.windows) == (1, 1, 1)  # a file's defaults
    panel = DataSource(csv=str(tmp_path / "p.csv"), date_column="date", id_column="id")
    with pytest.raises(SeqcastError, match="with a panel file, give --target and --horizon"):
        panel.settings(target="y")


@needs_ridership
def test_the_datasets_command_says_where_each_file_is(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    code, out, _ = run_cli(["datasets"], capsys)
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert code == 0 and "built in" in rows["co2"]
    assert f"in {DATA_DIR}" in rows["ridership"]
    assert "download on first use" in rows["m4-daily (panel)"]  # the test cache is empty
