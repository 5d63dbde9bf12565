"""The execution layer on this machine: order, labels, failures kept apart, the engine
options of the CLI. The Ray engine's own tests are in test_ray.py."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from seqcast import prepare_panel
from seqcast.engines import Engine, TaskFailures, as_engine, run_tasks, usable_cpus
from seqcast.errors import SeqcastError
from seqcast.evaluation.benchmark import panel_benchmark
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.baselines import Naive
from seqcast.models.registry import create_model


def halve(x: int) -> float:
    if x == 3:
        raise ValueError("three is odd here")
    return x / 2


def parity(x: int) -> int:
    warnings.warn(f"{x} is {'odd' if x % 2 else 'even'}", UserWarning, stacklevel=1)
    return x % 2


@dataclass
class Touchy(Naive):
    """Naive, except that it refuses a history whose last value is negative."""

    name: ClassVar[str] = "touchy"

    def _predict(self, history, n, future=None):  # type: ignore[no-untyped-def]
        if history[self.targets_[0]].iloc[-1] < 0:
            raise FloatingPointError("a negative last value")
        return super()._predict(history, n, future)


def panel_of(levels: list[float], days: int = 30) -> pd.DataFrame:
    """One series per level: level + a weekly wave + a slow trend."""
    t = np.arange(days)
    names = [f"s{i}" for i in range(len(levels))]
    table = pd.DataFrame(
        {
            "id": np.repeat(names, days),
            "day": list(pd.date_range("2024-01-01", periods=days)) * len(levels),
            "y": np.concatenate([k + np.sin(2 * np.pi * t / 7) + t / 50 for k in levels]),
        }
    )
    return prepare_panel(table, "id", "day")


def test_results_come_back_in_order_on_one_or_two_processes() -> None:
    items = list(range(10))
    assert run_tasks(float, items) == [float(i) for i in items]
    assert run_tasks(float, items, 2, tasks_per_worker=2) == [float(i) for i in items]


def test_a_failing_item_is_named_and_the_others_are_kept() -> None:
    for engine in (1, Engine("local", 2)):
        with pytest.raises(TaskFailures, match=r"1 of 5 numbers failed: d: ValueError: three") as e:
            run_tasks(halve, [0, 1, 2, 3, 4], engine, labels="abcde", what="numbers")
        assert e.value.failures == {"d": "ValueError: three is odd here"}
        assert e.value.results == [0.0, 0.5, 1.0, None, 2.0]


def test_warnings_of_the_workers_come_back_as_often_as_they_came() -> None:
    for engine in (1, Engine("local", 2)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert run_tasks(parity, [3, 5, 4, 7], engine) == [1, 1, 0, 1]
        said = Counter(str(w.message) for w in caught if w.category is UserWarning)
        assert said == {"3 is odd": 1, "5 is odd": 1, "7 is odd": 1, "4 is even": 1}


def test_the_command_line_gives_one_line_per_kind_of_warning(tmp_path: Path) -> None:
    walk = 50 + np.random.default_rng(4).normal(size=80).cumsum()  # ARIMA(2,1,2) warns on it
    days = pd.date_range("2020-01-01", periods=80)
    pd.DataFrame({"day": days, "y": walk}).to_csv(tmp_path / "w.csv", index=False)
    command = [sys.executable, "-m", "seqcast", "backtest", "--csv", str(tmp_path / "w.csv")]
    command += ["--date-column", "day", "--target", "y", "--model", "arima", "--refit"]
    command += ["--set", "order=2,1,2", "--horizon", "2", "--start", "2020-03-10"]
    command += ["--end", "2020-03-19", "--workers", "2", "--out", str(tmp_path / "b")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "Warning" in line]
    assert len(lines) == len(set(lines)) >= 1
    assert all(line.startswith("warning (") and " times): " in line for line in lines)
    assert any("EstimationWarning: Non-invertible starting MA" in line for line in lines)


def test_engines_refuse_what_they_cannot_run() -> None:
    with pytest.raises(SeqcastError, match="engine must be one of local, ray, got 'spark'"):
        Engine("spark")
    with pytest.raises(SeqcastError, match="workers must be a positive integer, got 0"):
        Engine("local", 0)
    with pytest.raises(SeqcastError, match="an address names a Ray cluster"):
        Engine("local", address="head:6379")
    most = 4 * usable_cpus()
    assert Engine("local", most).workers == most
    for kind in ("local", "ray"):
        with pytest.raises(SeqcastError, match=f"would be {most + 1} processes on .* {most}\\)"):
            Engine(kind, most + 1)
    assert Engine("ray", most + 1, address="head:6379").workers == most + 1  # not ours
    with pytest.raises(SeqcastError, match="workers must be a positive integer or an Engine"):
        as_engine(-1)
    with pytest.raises(SeqcastError, match="3 labels for 2 items"):
        run_tasks(float, [1, 2], labels=["a", "b", "c"])


def test_a_series_that_fails_is_reported_and_the_others_are_scored() -> None:
    panel = panel_of([5.0, -20.0, 10.0, 20.0], days=60)  # s1 stays negative
    whole = panel_backtest(create_model("naive"), panel, "y", 7, season=7)
    for workers in (1, 2):
        result = panel_backtest(Touchy(), panel, "y", 7, season=7, workers=workers)
        assert list(result.failures) == ["s1"]
        assert "FloatingPointError: a negative last value" in result.failures["s1"]
        assert result.per_series.index.tolist() == ["s0", "s2", "s3"]
        pd.testing.assert_frame_equal(result.per_series, whole.per_series.drop("s1"))
        assert set(result.forecasts["id"]) == {"s0", "s2", "s3"}
    board = panel_benchmark([Touchy(), create_model("naive")], panel, "y", 7, season=7)
    rows = board.leaderboard.set_index("model")
    assert rows.loc["touchy", "failed"] == 1
    assert rows.loc["naive", "failed"] == 0
    # touchy is naive on the three series it forecast; Naive2 is taken on those three too
    naive2 = board.reference.per_series.drop("s1").mean()
    naive = whole.per_series.drop("s1").mean()
    expected = 0.5 * (naive["smape"] / naive2["smape"] + naive["mase"] / naive2["mase"])
    assert rows.loc["touchy", "owa"] == pytest.approx(expected, rel=1e-12)
    assert rows.loc["naive", "owa"] != pytest.approx(expected)  # naive ran on all four


def test_a_model_that_fails_on_every_series_is_an_error() -> None:
    with pytest.raises(TaskFailures, match="2 of 2 series failed: s0: FloatingPointError"):
        panel_backtest(Touchy(), panel_of([-5.0, -6.0]), "y", 7)


def worker_facts(module: str) -> tuple[int, bool]:
    """The worker's process id, and whether it has ``module`` imported already."""
    import os
    import sys

    return os.getpid(), module in sys.modules


def test_an_open_engine_keeps_its_workers_and_they_import_what_is_preloaded() -> None:
    engine = Engine("local", 2)
    with engine:
        first = run_tasks(worker_facts, ["wave"] * 4, engine, preload=("wave",))
        with engine:  # opening it again only counts
            second = run_tasks(worker_facts, ["wave"] * 4, engine)
        assert engine._backend is not None  # still open: the inner block was not the last
    assert engine._backend is None  # the outermost block ended the workers
    assert {pid for pid, _ in second} <= {pid for pid, _ in first}
    assert all(loaded for _, loaded in first + second)
    fresh = run_tasks(worker_facts, ["wave"] * 2, Engine("local", 2))  # a pool for one call
    assert not any(loaded for _, loaded in fresh)
    assert not {pid for pid, _ in fresh} & {pid for pid, _ in first}


def test_threads_are_shared_out_from_the_cpus_this_process_may_use() -> None:
    import os

    from seqcast.engines import usable_cpus

    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cpus() == expected
