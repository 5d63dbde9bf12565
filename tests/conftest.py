"""Shared fixtures. Tests that need the real datasets read them from $SEQCAST_DATA_DIR
(default ../shared/data beside the repository); they skip without it, except under CI."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Tests write nothing into the repository: no example database, and hypothesis's own files
# (constants it collects while importing the tests) in a temporary folder.
settings.register_profile("seqcast", database=None)
settings.load_profile("seqcast")
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="seqcast-hypothesis-"))

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("SEQCAST_DATA_DIR", str(REPO.parent / "shared" / "data"))
DATA_DIR = Path(os.environ["SEQCAST_DATA_DIR"]).resolve()
os.environ["SEQCAST_DATA_DIR"] = str(DATA_DIR)


def _has(filename: str) -> bool:
    return (DATA_DIR / filename).is_file()


def needs_data(filename: str) -> pytest.MarkDecorator:
    """Skip without the file locally; under CI a missing file is a failure, not a skip."""
    if os.environ.get("CI") and not _has(filename):
        raise RuntimeError(f"CI needs {DATA_DIR / filename}; set SEQCAST_DATA_DIR")
    return pytest.mark.skipif(not _has(filename), reason=f"{filename} not in {DATA_DIR}")


needs_ridership = needs_data("CTA_-_Ridership_-_Daily_Boarding_Totals.csv")
needs_etth1 = needs_data("ETTh1.csv")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or fills the user's real download cache."""
    monkeypatch.setenv("SEQCAST_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def wave() -> pd.DataFrame:
    """A noisy sine of period 20 (noise sd 0.05) and a cosine covariate, 300 days."""
    t = np.arange(300)
    noise = np.random.default_rng(0).normal(0, 0.05, 300)
    return pd.DataFrame(
        {"y": np.sin(2 * np.pi * t / 20) + noise, "z": np.cos(t / 7)},
        index=pd.date_range("2020-01-01", periods=300, freq="D"),
    )


@pytest.fixture
def daily() -> pd.DataFrame:
    """60 days of two columns: a = 0, 1, 2, ... and b = a weekly pattern 10 * (t mod 7)."""
    t = np.arange(60, dtype=float)
    index = pd.date_range("2020-01-01", periods=60, freq="D", name="date")
    return pd.DataFrame({"a": t, "b": 10.0 * (t % 7)}, index=index)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``seqcast ARGS`` in this process: (exit status, stdout, stderr)."""
    from seqcast.cli import main

    with pytest.raises(SystemExit) as stop:
        main(args)
    captured = capsys.readouterr()
    code = stop.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err
