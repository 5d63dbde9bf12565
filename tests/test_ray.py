"""The Ray engine on a real local cluster (``ray.init(num_cpus=2)``, started once here):
the same forecasts as the local engine to the last bit, failures named, dead workers
retried. test_ray_cluster.py connects to a cluster started apart with ``ray start``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import test_tuning  # noqa: F401  (its functions travel to the workers by value)
from conftest import run_cli
from test_engines import Touchy, halve, panel_of

from seqcast.engines import Engine, TaskFailures, run_tasks
from seqcast.evaluation.backtest import backtest
from seqcast.evaluation.benchmark import benchmark
from seqcast.evaluation.order_search import search_orders
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.registry import create_model

if not os.environ.get("CI"):
    pytest.importorskip("ray")
import ray  # CI installs seqcast[ray]: a missing Ray fails there

pytestmark = pytest.mark.ray
RAY = Engine("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """A real two-CPU Ray cluster for this module; the test modules' functions travel by
    value (the workers cannot import tests/)."""
    for module in ("test_engines", "test_tuning", __name__):
        ray.cloudpickle.register_pickle_by_value(sys.modules[module])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_the_engine_is_as_wide_as_the_cluster() -> None:
    assert RAY.width() == 2


def test_a_panel_gives_the_same_forecasts_to_the_last_bit() -> None:
    panel = panel_of([5.0, 10.0, 20.0, 40.0, 80.0], days=90)
    local = panel_backtest(create_model("theta", season=7), panel, "y", 7, season=7)
    remote = panel_backtest(create_model("theta", season=7), panel, "y", 7, season=7, workers=RAY)
    pd.testing.assert_frame_equal(local.forecasts, remote.forecasts, check_exact=True)
    fitted = create_model("ses").fit(panel, "y", workers=RAY)
    assert sorted(fitted.series_models_) == [f"s{i}" for i in range(5)]


def test_failures_are_named_and_the_others_kept() -> None:
    with pytest.raises(TaskFailures, match="1 of 5 numbers failed: d: ValueError") as e:
        run_tasks(halve, [0, 1, 2, 3, 4], RAY, labels="abcde", what="numbers")
    assert e.value.results == [0.0, 0.5, 1.0, None, 2.0]
    panel = panel_of([5.0, -20.0, 10.0], days=60)
    result = panel_backtest(Touchy(), panel, "y", 7, workers=RAY)
    assert list(result.failures) == ["s1"]
    assert result.per_series.index.tolist() == ["s0", "s2"]


def die_once(marker: str) -> str:
    """Kills its worker the first time (no marker yet), answers the second."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(1)
    return "answered after a retry"


def test_a_worker_that_dies_is_retried(tmp_path: Path) -> None:
    marker = str(tmp_path / "marker")
    assert run_tasks(die_once, [marker], RAY) == ["answered after a retry"]


def die_on_three(x: int) -> int:
    """Kills its worker whenever it is given 3."""
    if x == 3:
        os._exit(1)
    return x


def test_a_task_lost_on_every_try_is_named_and_the_others_kept() -> None:
    with pytest.raises(TaskFailures, match="1 of 4 numbers failed: c: its task was lost") as e:
        run_tasks(die_on_three, [1, 2, 3, 4], RAY, labels="abcd", what="numbers")
    assert e.value.results == [1, 2, None, 4]


def test_benchmark_refits_and_searches_match_the_local_engine() -> None:
    t = np.arange(120, dtype=float)
    data = pd.DataFrame(
        {"y": 10 + np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 0.1, 120)},
        index=pd.date_range("2024-01-01", periods=120, freq="D", name="day"),
    )
    models = [create_model("naive"), create_model("seasonal_naive", season=7)]
    here = benchmark(models, data, "y", "2024-04-01", "2024-04-20", 3, season=7)
    there = benchmark(models, data, "y", "2024-04-01", "2024-04-20", 3, season=7, workers=RAY)
    pd.testing.assert_frame_equal(
        here.leaderboard.drop(columns="seconds"), there.leaderboard.drop(columns="seconds")
    )
    # refits warm-start from the origin before, so the blocks matter: two on either engine
    arima = create_model("arima", order=(1, 0, 0))
    two = backtest(arima, data, "y", "2024-04-21", "2024-04-28", refit=True, workers=2)
    many = backtest(arima, data, "y", "2024-04-21", "2024-04-28", refit=True, workers=RAY)
    pd.testing.assert_frame_equal(two.forecasts, many.forecasts, check_exact=True)
    orders = [(p, 0, 0) for p in (0, 1, 2)]
    a = search_orders(data, "y", orders).table
    b = search_orders(data, "y", orders, workers=RAY).table
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_the_cli_runs_a_panel_on_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stores.csv"
    panel_of([5.0, 10.0, 20.0], days=60).reset_index().to_csv(path, index=False)
    common = ["--csv", str(path), "--id-column", "id", "--date-column", "day", "--target", "y"]
    common += ["--model", "theta", "--set", "season=7", "--horizon", "7"]
    code, _, err = run_cli(["backtest", *common, "--out", str(tmp_path / "local")], capsys)
    assert code == 0, err
    code, _, err = run_cli(
        ["backtest", *common, "--engine", "ray", "--out", str(tmp_path / "ray")], capsys
    )
    assert code == 0, err
    local = pd.read_csv(tmp_path / "local" / "forecasts.csv")
    pd.testing.assert_frame_equal(local, pd.read_csv(tmp_path / "ray" / "forecasts.csv"))


def test_tune_on_ray_samples_and_trains_as_the_local_search(tmp_path: Path) -> None:
    from test_tuning import TINY, noisy_panel

    from seqcast.data.sources import DataSource
    from seqcast.tuning import tune

    path = tmp_path / "stores.csv"
    noisy_panel().reset_index().to_csv(path, index=False)
    source = DataSource(csv=path, id_column="id", date_column="day")
    kwargs = dict(trials=2, max_epochs=2, grace=3, settings=TINY, target="y", horizon=7, season=7)
    local = tune("mlp", source, **kwargs)
    remote = tune("mlp", source, workers=RAY, **kwargs)
    assert set(remote.trials["state"]) == {"complete"}
    # the same seeded sampler proposes the same two configurations; each trains alike
    assert sorted(remote.trials["owa"]) == pytest.approx(sorted(local.trials["owa"]), rel=1e-6)
    assert remote.config["engine"] == "ray"
