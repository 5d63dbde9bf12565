"""An existing Ray cluster: ``ray start --head --num-cpus 2`` as a separate process, the CLI
connected to it by address (as a user on a cluster would be), then ``ray stop``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_engines import panel_of

if not os.environ.get("CI"):
    pytest.importorskip("ray")

pytestmark = pytest.mark.ray
RAY_CLI = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_cli_connects_to_a_cluster_by_address(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "RAY_ADDRESS": ""}
    start = [RAY_CLI, "start", "--head", "--num-cpus", "2", "--port", str(port)]
    start += ["--include-dashboard", "false", "--disable-usage-stats"]
    subprocess.run(start, check=True, capture_output=True, env=env, timeout=120)
    try:
        path = tmp_path / "stores.csv"
        panel_of([5.0, 10.0, 20.0], days=60).reset_index().to_csv(path, index=False)
        common = [sys.executable, "-m", "seqcast", "backtest", "--csv", str(path)]
        common += ["--id-column", "id", "--date-column", "day", "--target", "y", "--model"]
        common += ["theta", "--set", "season=7", "--horizon", "7"]
        address = ["--engine", "ray", "--address", f"127.0.0.1:{port}"]
        for name, extra in (("local", []), ("cluster", address)):
            done = subprocess.run(
                [*common, *extra, "--out", str(tmp_path / name)],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
        local = pd.read_csv(tmp_path / "local" / "forecasts.csv")
        pd.testing.assert_frame_equal(local, pd.read_csv(tmp_path / "cluster" / "forecasts.csv"))
    finally:
        subprocess.run([RAY_CLI, "stop", "--force"], capture_output=True, env=env, timeout=120)
