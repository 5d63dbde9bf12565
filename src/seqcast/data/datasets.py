"""Built-in datasets, by name.

``co2``, ``sine`` and ``sine40`` need no files. ``ridership``, ``etth1``, ``etth2`` and the
M4 groups ``m4-hourly``, ``m4-daily``, ``m4-weekly``, ``m4-monthly``, ``m4-quarterly`` and
``m4-yearly`` (panels: many series each, see ``seqcast.data.m4``) are public files, looked
for in this order:

1. the folder given as ``data_dir`` (CLI ``--data-dir``) or ``$SEQCAST_DATA_DIR``;
2. the cache, ``$SEQCAST_CACHE_DIR`` (default ``~/.cache/seqcast``);
3. their public address: downloaded once, checked against the published sha256, cached.
   Of the M4 files only the hourly ones have a sha256 recorded here; the others are used
   unchecked, and the loading notes say so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.data.io import prepare_frame
from seqcast.data.m4 import GROUPS, M4_URL, M4Group, read_m4
from seqcast.errors import SeqcastError

DATA_DIR_VARIABLE = "SEQCAST_DATA_DIR"
CACHE_DIR_VARIABLE = "SEQCAST_CACHE_DIR"
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class RemoteFile:
    """A public file: its name on disk, where to fetch it and the sha256 of that file
    (None where no checksum is known: the file is then used unchecked, with a note).

    ``member`` is the path of the file inside ``url`` when ``url`` is a .tgz archive.
    """

    filename: str
    url: str
    sha256: str | None
    member: str | None = None


@dataclass(frozen=True)
class BacktestDefaults:
    """What ``seqcast benchmark`` does on a dataset when not told otherwise: the target and
    horizon; for one series the range of first forecast steps (``start``..``end``) and the
    first date fitted; for a panel the number of ``windows`` of H steps held out at the end
    of every series."""

    target: str
    horizon: int
    start: str | None = None
    end: str | None = None
    train_start: str | None = None
    windows: int = 1


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    freq: str
    n_rows: int
    columns: tuple[str, ...]
    season: int
    source: str
    benchmark: BacktestDefaults
    files: tuple[RemoteFile, ...] = ()
    panel: bool = False  # many series: a (series id, time)-indexed table (seqcast.data.panel)


Loader = Callable[[list[Path]], pd.DataFrame]  # the dataset from the paths of its files


def _co2(_: list[Path]) -> pd.DataFrame:
    from statsmodels.datasets import co2

    raw = co2.load_pandas().data.rename_axis("date")
    frame = prepare_frame(raw, fill="interpolate", source="co2 (statsmodels)")
    frame.attrs["notes"] = [n.replace("timestamps", "weeks") for n in frame.attrs["notes"]]
    return frame


def _sine(_: list[Path]) -> pd.DataFrame:
    t = np.arange(1, 1001)
    noise = np.random.default_rng(0).normal(0.0, 0.2, size=t.size)
    index = pd.date_range("2000-01-01", periods=t.size, freq="D", name="date")
    frame = pd.DataFrame({"x": np.sin(0.01 * t) + noise}, index=index)
    frame.attrs["notes"] = ["synthetic: t = 1..1000 is dated 2000-01-01 onwards, one day per step"]
    return frame


def _sine40(_: list[Path]) -> pd.DataFrame:
    t = np.arange(800)
    index = pd.date_range("2000-01-01", periods=t.size, freq="D", name="date")
    frame = pd.DataFrame({"x": np.sin(2 * np.pi * t / 40)}, index=index)
    frame.attrs["notes"] = ["synthetic: t = 0..799 is dated 2000-01-01 onwards, one day per step"]
    return frame


def _ridership(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    raw = pd.read_csv(path)
    raw = raw.rename(columns={"service_date": "date", "rail_boardings": "rail"})
    raw = raw.drop(columns=["total_rides"])  # bus + rail
    raw["date"] = pd.to_datetime(raw["date"], format="%m/%d/%Y")
    return prepare_frame(
        raw, "date", columns=["bus", "rail", "day_type"], freq="D", source=str(path)
    )


def _ett(paths: list[Path]) -> pd.DataFrame:
    (path,) = paths
    return prepare_frame(pd.read_csv(path), "date", freq="h", source=str(path))


_ETT_COLUMNS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")
_ETT_URL = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/"
_ETT_BENCHMARK = BacktestDefaults("OT", 96, "2017-10-24 00:00", "2018-02-17 00:00")


def _ett_entry(station: int, sha256: str) -> tuple[DatasetInfo, Loader]:
    """ETTh1 and ETTh2 differ only in the station and the file."""
    filename = f"ETTh{station}.csv"
    info = DatasetInfo(
        f"etth{station}",
        f"Electricity Transformer Temperature, hourly, station {station}",
        "h",
        17420,
        _ETT_COLUMNS,
        24,
        "github.com/zhouhaoyi/ETDataset",
        _ETT_BENCHMARK,
        (RemoteFile(filename, _ETT_URL + filename, sha256),),
    )
    return info, _ett


def _m4_entry(group: M4Group) -> tuple[DatasetInfo, Loader]:
    """An M4 group: its train and test files, horizon and season."""
    files = (
        RemoteFile(
            f"{group.prefix}-train.csv",
            f"{M4_URL}Train/{group.prefix}-train.csv",
            group.train_sha256,
        ),
        RemoteFile(
            f"{group.prefix}-test.csv", f"{M4_URL}Test/{group.prefix}-test.csv", group.test_sha256
        ),
    )
    info = DatasetInfo(
        group.name,
        f"M4 competition, {group.prefix} group: {group.series:,} series, horizon "
        f"{group.horizon} (a panel; the test file's values are the last {group.horizon})",
        group.freq,
        0,  # rows: the sum of the series' lengths, known once read
        ("y",),
        group.season,
        "github.com/Mcompetitions/M4-methods",
        BacktestDefaults("y", group.horizon, windows=1),
        files,
        panel=True,
    )
    return info, lambda paths: read_m4(group, *paths)


_DATASETS: dict[str, tuple[DatasetInfo, Loader]] = {
    info.name: (info, loader)
    for info, loader in [
        (
            DatasetInfo(
                "co2",
                "weekly atmospheric CO2 at Mauna Loa, ppm (59 missing weeks interpolated)",
                "W-SAT",
                2284,
                ("co2",),
                52,
                "statsmodels (bundled)",
                BacktestDefaults("co2", 52, "1997-01-01", "2000-12-31"),
            ),
            _co2,
        ),
        (
            DatasetInfo(
                "sine",
                "x = sin(0.01 t) + N(0, 0.2^2), t = 1..1000, noise seed 0",
                "D",
                1000,
                ("x",),
                628,
                "synthetic",
                BacktestDefaults("x", 1, "2001-12-01", "2002-09-26"),
            ),
            _sine,
        ),
        (
            DatasetInfo(
                "sine40",
                "x = sin(2 pi t / 40), t = 0..799",
                "D",
                800,
                ("x",),
                40,
                "synthetic",
                BacktestDefaults("x", 40, "2002-01-30", "2002-01-30"),
            ),
            _sine40,
        ),
        (
            DatasetInfo(
                "ridership",
                "Chicago CTA daily boardings 2001-01-01..2021-11-30 (bus, rail, day type W/A/U)",
                "D",
                7639,
                ("bus", "rail", "day_type"),
                7,
                "github.com/ageron/data",
                BacktestDefaults("rail", 14, "2019-01-01", "2019-05-31", train_start="2016-01-01"),
                (
                    RemoteFile(
                        "CTA_-_Ridership_-_Daily_Boarding_Totals.csv",
                        "https://github.com/ageron/data/raw/main/ridership.tgz",
                        "34faaba085ca21434b7dd3e0abcbaf8cde5be3a4f170dda1c8caef72c5c4bd06",
                        member="ridership/CTA_-_Ridership_-_Daily_Boarding_Totals.csv",
                    ),
                ),
            ),
            _ridership,
        ),
        _ett_entry(1, "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066"),
        _ett_entry(2, "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b"),
        *(_m4_entry(group) for group in GROUPS.values()),
    ]
}


def list_datasets() -> list[DatasetInfo]:
    """Every built-in dataset, in a stable order."""
    return [info for info, _ in _DATASETS.values()]


def dataset_info(name: str) -> DatasetInfo:
    if name not in _DATASETS:
        raise SeqcastError(f"unknown dataset {name!r}; choose one of {', '.join(_DATASETS)}")
    return _DATASETS[name][0]


def load_dataset(name: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load a built-in dataset as a regular DataFrame (see ``seqcast.data.io``).

    ``data_dir`` overrides ``$SEQCAST_DATA_DIR``. How the data was found or changed is
    listed in ``frame.attrs["notes"]``.
    """
    info = dataset_info(name)
    loader = _DATASETS[name][1]
    paths, notes = [], []
    for remote in info.files:
        path, found = locate(remote, data_dir)
        paths.append(path)
        notes += found
    frame = loader(paths)
    frame.attrs["notes"] = notes + list(frame.attrs.get("notes", []))
    frame.attrs.setdefault("source", f"dataset {name!r}")
    return frame


def locate(remote: RemoteFile, data_dir: str | Path | None = None) -> tuple[Path, list[str]]:
    """The local path of ``remote`` (downloading it if needed) and notes on where it came from."""
    found = find_local(remote, data_dir)
    if found is not None:
        return found
    cached = cache_dir() / remote.filename
    folder = data_folder(data_dir)
    try:
        _download(remote, cached)
    except (urllib.error.URLError, OSError, tarfile.TarError) as exc:
        reason = getattr(exc, "reason", exc)
        where = f"{folder}" if folder else f"${DATA_DIR_VARIABLE} (not set)"
        raise SeqcastError(
            f"{remote.filename} is not in {where} nor in the cache {cache_dir()}, and "
            f"downloading {remote.url} failed ({reason}); put the file in a folder and set "
            f"{DATA_DIR_VARIABLE} to it (or pass --data-dir)"
        ) from exc
    checked = "sha256 checked" if remote.sha256 else "no published sha256 to check it against"
    return cached, [f"downloaded {remote.url} to {cached} ({checked})"]


def find_local(
    remote: RemoteFile, data_dir: str | Path | None = None
) -> tuple[Path, list[str]] | None:
    """Where ``remote`` already is on this machine, with notes: the data folder
    (``data_dir``, else ``$SEQCAST_DATA_DIR``), else the cache when its copy passes the
    sha256 check; None when it has to be downloaded."""
    folder = data_folder(data_dir)
    if folder:
        candidate = Path(folder).expanduser() / remote.filename
        if candidate.is_file():
            notes = [f"read {candidate}"]
            if remote.sha256 is not None and _sha256(candidate) != remote.sha256:
                notes.append(f"{candidate} differs from the published file (sha256 mismatch)")
            return candidate, notes
    cached = cache_dir() / remote.filename
    if cached.is_file() and remote.sha256 in (None, _sha256(cached)):
        return cached, [f"read {cached} (cache)"]
    return None


def data_folder(data_dir: str | Path | None = None) -> str | Path | None:
    """The folder dataset files are looked for in first: ``data_dir``, else
    ``$SEQCAST_DATA_DIR`` (None when neither is set)."""
    return data_dir if data_dir is not None else os.environ.get(DATA_DIR_VARIABLE) or None


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqcast"


def _download(remote: RemoteFile, target: Path) -> None:
    """Fetch ``remote`` into ``target`` atomically; a file failing its sha256 is not kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        fetched = Path(tmp) / "fetched"
        with (
            urllib.request.urlopen(remote.url, timeout=DOWNLOAD_TIMEOUT_S) as response,
            open(fetched, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
        if remote.member is not None:
            with tarfile.open(fetched) as archive:
                member = archive.extractfile(remote.member)
                if member is None:
                    raise SeqcastError(f"{remote.url} does not contain {remote.member}")
                extracted = Path(tmp) / "extracted"
                with open(extracted, "wb") as out:
                    shutil.copyfileobj(member, out)
            fetched = extracted
        digest = _sha256(fetched)
        if remote.sha256 is not None and digest != remote.sha256:
            raise SeqcastError(
                f"{remote.filename} downloaded from {remote.url} has sha256 {digest}, expected "
                f"{remote.sha256}; not using it"
            )
        os.replace(fetched, target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
