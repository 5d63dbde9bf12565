"""Signals against real processes: Ctrl-C (SIGINT) and SIGTERM both stop `seqcast fit` with
its last epoch saved and a line saying how to resume, a second interrupted run never
replaces a checkpoint trained further, and nothing half-written is left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from seqcast import load_model

LONG_FIT = [
    "fit", "--dataset", "sine40", "--target", "x", "--model", "gru",
    "--set", "input_len=20", "--set", "train.epochs=100000", "--set", "train.patience=100000",
]  # fmt: skip


def interrupted_fit(out: Path, after_epoch: int, signum: int) -> tuple[int, str]:
    """Run `seqcast fit --out OUT` and send ``signum`` once ``after_epoch`` epochs are done:
    (exit status, stderr)."""
    command = [sys.executable, "-m", "seqcast", *LONG_FIT, "--out", str(out)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines = []
    for line in process.stderr:  # not a terminal: one line per epoch
        lines.append(line)
        if line.startswith(f"epoch {after_epoch}/"):
            process.send_signal(signum)
            break
    else:
        pytest.fail(f"the fit ended before epoch {after_epoch}: {''.join(lines)}")
    rest = process.stderr.read()
    return process.wait(timeout=60), "".join(lines) + rest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_last_epoch_and_says_how_to_resume(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "gru"
    saved = tmp_path / "gru.interrupted.pt"
    code, err = interrupted_fit(out, 3, signum)
    assert code == 130
    epochs = load_model(saved).trained_.history.epochs
    assert epochs >= 3
    assert f"interrupted after epoch {epochs}: resume with --resume {saved}" in err
    assert f"interrupted ({signal.Signals(signum).name})" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gru.interrupted.pt"]  # no litter


def test_a_second_interrupted_run_keeps_the_checkpoint_trained_further(tmp_path: Path) -> None:
    out = tmp_path / "gru"
    saved = tmp_path / "gru.interrupted.pt"
    interrupted_fit(out, 4, signal.SIGINT)
    before = load_model(saved).trained_.history.epochs
    code, err = interrupted_fit(out, 1, signal.SIGINT)
    assert code == 130
    assert f"holds a run trained further ({before} epochs) and is kept" in err
    assert load_model(saved).trained_.history.epochs == before


def test_the_command_puts_the_signal_handlers_back() -> None:
    from seqcast.cli import main

    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(SystemExit):
        main(["--version"])
    assert {signum: signal.getsignal(signum) for signum in before} == before


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_sigterm_ends_the_workers_with_their_parent(tmp_path: Path) -> None:
    import time

    import numpy as np
    import pandas as pd

    path = tmp_path / "panel.csv"
    t = np.arange(400)
    rows = [
        pd.DataFrame(
            {
                "id": f"s{i}",
                "day": pd.date_range("2020-01-01", periods=400),
                "y": 50 + np.sin(t / 5 + i),
            }
        )
        for i in range(400)
    ]
    pd.concat(rows).to_csv(path, index=False)
    command = [
        sys.executable, "-m", "seqcast", "benchmark", "--csv", str(path), "--id-column", "id",
        "--date-column", "day", "--target", "y", "--horizon", "7", "--season", "7",
        "--models", "comb", "--workers", "2", "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:  # a file: the workers' warnings never fill a pipe
        process = subprocess.Popen(command, stderr=stderr, text=True)
    deadline = time.monotonic() + 60
    while "comb running" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while len(workers := descendants(process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)  # the fork server and its two workers
    assert len(workers) >= 3, workers
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 130
    deadline = time.monotonic() + 5
    while (
        alive := {p for p in workers if Path(f"/proc/{p}").exists()}
    ) and time.monotonic() < deadline:
        time.sleep(0.1)
    zombies = {
        p for p in alive if "Z" in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
    }
    assert alive <= zombies, alive  # every worker gone within seconds of its parent
    assert not (tmp_path / "out").exists()


def test_ctrl_c_saves_a_checkpoint(tmp_path: Path) -> None:
    """A real SIGINT, sent once the progress lines show two finished epochs."""
    script = tmp_path / "long_fit.py"
    path = tmp_path / "interrupted.pt"
    script.write_text(
        "import numpy as np, pandas as pd\n"
        "from seqcast import create_model\n"
        "data = pd.DataFrame({'y': np.sin(np.arange(400) / 5)},\n"
        "                    index=pd.date_range('2020-01-01', periods=400, freq='D'))\n"
        "model = create_model('gru', input_len=20,\n"
        "                     train={'epochs': 100000, 'patience': 100000, 'progress': True})\n"
        f"model.fit(data, 'y', interrupt_checkpoint={str(path)!r})\n"
    )
    process = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:  # not a terminal: one line per epoch
        if line.startswith("epoch 2/100000"):
            break
    else:
        pytest.fail(f"the fit ended without reporting two epochs (exit {process.wait()})")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) != 0
    loaded = load_model(path)
    assert loaded.trained_.history.stopped == "interrupted" and loaded.trained_.history.epochs >= 2
