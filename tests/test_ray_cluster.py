"""An existing Ray cluster: ``ray start --head --num-cpus 2`` on loopback as a separate
process, the CLI connected to it by address (as a user on a cluster would be), then stopped;
and addresses that cannot be joined, refused at once."""

from __future__ import annotations

import importlib.util
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
LOOPBACK = {**os.environ, "RAY_ADDRESS": "", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_cli_connects_to_a_cluster_by_address(tmp_path: Path) -> None:
    port = free_port()
    # token authentication on both sides (Ray's token: ~/.ray/auth_token, made if missing);
    # Ray keeps 127.0.0.1 (instead of the machine's interface address) only with
    # RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, on the cluster's side and the client's
    env = {**LOOPBACK, "RAY_AUTH_MODE": "token"}
    # --block keeps `ray start` in the foreground; stopping it stops this cluster alone
    # (`ray stop` would stop every Ray cluster of this machine's user)
    head = [*RAY_CLI, "start", "--head", "--block", "--num-cpus", "2", "--port", str(port)]
    head += ["--node-ip-address", "127.0.0.1"]
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
        # without the token mode a Ray that checks tokens (2.60 here) tries for 20 s and
        # gives up: the error says why (a Ray without token checks lets the driver in)
        tokenless = {key: value for key, value in env.items() if key != "RAY_AUTH_MODE"}
        done = subprocess.run(
            [*common, *address, "--out", str(tmp_path / "tokenless")],
            capture_output=True,
            text=True,
            env=tokenless,
            timeout=120,
        )
        if done.returncode != 0:
            assert done.returncode == 1, done.stderr
            assert f"error: cannot join the Ray cluster at 127.0.0.1:{port}" in done.stderr
            assert "RAY_AUTH_MODE=token" in done.stderr
    finally:
        cluster.terminate()
        cluster.wait(timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def _backtest_at(address: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "s.csv"
    days = pd.date_range("2020-01-01", periods=60)
    pd.DataFrame({"day": days, "y": range(60)}).to_csv(path, index=False)
    command = [sys.executable, "-m", "seqcast", "backtest", "--csv", str(path), "--target", "y"]
    command += ["--date-column", "day", "--model", "naive", "--horizon", "2"]
    command += ["--start", "2020-02-20", "--end", "2020-02-25", "--engine", "ray"]
    command += ["--address", address, "--out", str(tmp_path / "out")]
    return subprocess.run(command, capture_output=True, text=True, env=LOOPBACK, timeout=60)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:{port}", "the Ray cluster at 127.0.0.1:{port}: Connection refused"),
        ("not an address", "--address 'not an address' is not a Ray address"),
        (":6379", "--address ':6379' is not a Ray address"),
        ("ray://127.0.0.1:{port}", "cannot reach the Ray cluster at ray://127.0.0.1:{port}"),
    ],
)
def test_an_address_that_cannot_be_joined_is_refused_at_once(
    address: str, message: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        message = 'needs its own packages: pip install "ray[client]"'
    started = time.monotonic()
    done = _backtest_at(address.format(port=port), tmp_path)
    assert done.returncode == 1 and message.format(port=port) in done.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "out").exists()
