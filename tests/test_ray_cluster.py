"""An existing Ray cluster: ``ray start --head --num-cpus 2`` as a separate process, the CLI
connected to it by address (as a user on a cluster would be), then ``ray stop``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from test_engines import panel_of

if not os.environ.get("CI"):
    pytest.importorskip("ray")

pytestmark = pytest.mark.ray
RAY_CLI = [sys.executable, "-m", "ray.scripts.scripts"]  # the `ray` command, this Python's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_cli_connects_to_a_cluster_by_address(tmp_path: Path) -> None:
    port = free_port()
    # token authentication on both sides (Ray's token: ~/.ray/auth_token, made if missing)
    env = {**os.environ, "RAY_ADDRESS": "", "RAY_AUTH_MODE": "token"}
    # --block keeps `ray start` in the foreground; stopping it stops this cluster alone
    # (`ray stop` would stop every Ray cluster of this machine's user)
    head = [*RAY_CLI, "start", "--head", "--block", "--num-cpus", "2", "--port", str(port)]
    head += ["--include-dashboard", "false", "--disable-usage-stats"]
    # its own temporary folder (short: Ray's sockets live there), so the address file it
    # leaves behind makes no later ray.init() look for it
    folder = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    head += ["--temp-dir", folder]
    cluster = subprocess.Popen(head, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        ready = Path(folder) / "ray_current_cluster"  # written once the head is up
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert cluster.poll() is None, "ray start --head exited"
            assert time.monotonic() < deadline, "the Ray head did not come up in 120 s"
            time.sleep(0.5)
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
        cluster.terminate()
        cluster.wait(timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
