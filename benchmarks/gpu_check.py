"""Issue 20's GPU checks in one run: the `gpu` tests and the figures, written as JSON.

On a machine with one GPU (see ../shared/GPU.md: copy ETTh1.csv, Hourly-train.csv and
Hourly-test.csv into a folder that travels, and point SEQCAST_DATA_DIR at it):

    CUBLAS_WORKSPACE_CONFIG=:4096:8 SEQCAST_DATA_DIR=.device-data \\
        python benchmarks/gpu_check.py --out "$OUT/gpu_check"

It runs, each step on its own so that one failure does not stop the others (a failure is
recorded with its error), writing OUT/gpu_check.json after every step:

1. the tests marked `gpu` (tests/test_gpu.py);
2. one GRU training step (input 48, hidden 64, batch 256) through seqcast's RecurrentNet
   and through torch's nn.GRU with a linear head, in ms; the bar is 1.1x;
3. `seqcast ltsf` of SegRNN on ETTh1, L=720 H=96, the paper's settings: seed 1 alone (the
   whole command's wall; the bar is 0.5x the reference code's 56.5 s, each epoch 0.35x its
   ~2.6 s), then seeds 2 and 3 (test MSE, mean of three at or below 0.351), then bf16
   seeds 1-3 (MSE within 1 % of fp32's);
4. the M4 Hourly mlp (hidden 512, 2 layers, ensemble 5): the whole command, bar 60 s.

``--quick`` runs the same steps tiny (a few epochs, L=96), to try the script on a CPU
(``--device cpu --quick``) in about two minutes. Under eight minutes on one H200 in full.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REFERENCE_WALL, REFERENCE_EPOCH = 56.5, 2.6  # seconds, the SegRNN code on one H200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="new folder for gpu_check.json")
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="tiny settings: try it on a CPU")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=False)
    record: dict[str, Any] = {"device": args.device, "quick": args.quick, "steps": {}}
    steps: list[tuple[str, Callable[[argparse.Namespace], dict[str, Any]]]] = [
        ("gpu_tests", gpu_tests),
        ("gru_step", gru_step),
        ("segrnn_ltsf", segrnn_ltsf),
        ("m4_mlp", m4_mlp),
    ]
    record["machine"] = machine()
    for name, step in steps:
        clock = time.perf_counter()
        print(f"[{name}] running", flush=True)
        try:
            result = {"ok": True, **step(args)}
        except Exception as error:  # recorded; the next step runs
            result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            result["traceback"] = traceback.format_exc()[-3000:]
        result["seconds"] = round(time.perf_counter() - clock, 1)
        record["steps"][name] = result
        print(f"[{name}] {json.dumps({k: v for k, v in result.items() if k != 'traceback'})}")
        write(args.out / "gpu_check.json", record)


def machine() -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "cpus": os.cpu_count(),
    }


def write(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, path)


def seqcast(arguments: list[str], timeout: float) -> tuple[float, str]:
    """Run the seqcast command line; (wall seconds, its output). A failure raises."""
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "seqcast", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    wall = time.perf_counter() - clock
    if done.returncode != 0:
        raise RuntimeError(f"seqcast {' '.join(arguments[:3])} ...: {done.stderr[-1500:]}")
    return wall, done.stdout


def gpu_tests(args: argparse.Namespace) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:randomly", "tests"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    return {"ok": done.returncode in (0, 5), "summary": tail, "output": done.stdout[-4000:]}


def gru_step(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from torch import nn

    from seqcast.networks.recurrent import RecurrentNet

    device = torch.device(args.device)
    torch.manual_seed(0)
    x = torch.randn(256, 48, 1, device=device)
    y = torch.randn(256, 48, 1, device=device)
    ours = RecurrentNet(1, 64, 1, cell="gru").to(device)

    class TorchGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru, self.head = nn.GRU(1, 64, batch_first=True), nn.Linear(64, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.gru(x)[0])

    theirs = TorchGRU().to(device)

    def per_step(module: nn.Module) -> float:
        optimizer = torch.optim.Adam(module.parameters())
        times = []
        for i in range(60):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            clock = time.perf_counter()
            loss = nn.functional.mse_loss(module(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= 10:  # warmed up
                times.append(time.perf_counter() - clock)
        return statistics.median(times) * 1e3

    a, b = per_step(ours), per_step(theirs)
    a, b = min(a, per_step(ours)), min(b, per_step(theirs))  # alternated: noise hits both
    return {"seqcast_ms": a, "torch_gru_ms": b, "ratio": a / b, "bar": 1.1, "met": a / b <= 1.1}


def segrnn_ltsf(args: argparse.Namespace) -> dict[str, Any]:
    size = ["--lookback", "96", "--horizon", "24"] if args.quick else []
    size = size or ["--lookback", "720", "--horizon", "96"]
    extra = ["--set", "train.epochs=2"] if args.quick else []
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, seeds, precision in (
            ("fp32_seed1", "1", "fp32"),
            ("fp32_seeds23", "2,3", "fp32"),
            ("bf16_seeds123", "1,2,3", "bf16"),
        ):
            out = Path(tmp) / label
            command = ["ltsf", "--dataset", "etth1", "--model", "segrnn", *size, *extra]
            command += ["--seeds", seeds, "--device", args.device, "--precision", precision]
            wall, _ = seqcast([*command, "--out", str(out)], timeout=300)
            metrics = json.loads((out / "metrics.json").read_text())
            runs[label] = {
                "wall": wall,
                "mse": [seed["mse"] for seed in metrics["seeds"]],
                "epochs": [seed["epochs"] for seed in metrics["seeds"]],
                "epoch_seconds": [seed["epoch_seconds"] for seed in metrics["seeds"]],
                "device": metrics["device"],
                "peak_memory_mb": metrics["peak_memory_mb"],
            }
    fp32 = runs["fp32_seed1"]["mse"] + runs["fp32_seeds23"]["mse"]
    bf16 = runs["bf16_seeds123"]["mse"]
    wall = runs["fp32_seed1"]["wall"]
    epoch = statistics.median(runs["fp32_seed1"]["epoch_seconds"])
    return {
        "runs": runs,
        "fp32_mse_mean": statistics.mean(fp32),
        "fp32_mse_spread": statistics.stdev(fp32),
        "bf16_mse_mean": statistics.mean(bf16),
        "bf16_vs_fp32": statistics.mean(bf16) / statistics.mean(fp32) - 1,
        "wall_vs_reference": wall / REFERENCE_WALL,
        "epoch_vs_reference": epoch / REFERENCE_EPOCH,
        "met": {
            "wall_0.5x": wall <= 0.5 * REFERENCE_WALL,
            "epoch_0.35x": epoch <= 0.35 * REFERENCE_EPOCH,
            "mse_0.351": statistics.mean(fp32) <= 0.351,
            "bf16_1pct": abs(statistics.mean(bf16) / statistics.mean(fp32) - 1) <= 0.01,
        },
    }


def m4_mlp(args: argparse.Namespace) -> dict[str, Any]:
    size = ["--set", "hidden_size=512", "--set", "num_layers=2", "--set", "ensemble=5"]
    if args.quick:
        size = ["--set", "hidden_size=64", "--set", "train.epochs=1"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m4"
        command = ["benchmark", "--dataset", "m4-hourly", "--models", "mlp", *size]
        wall, _ = seqcast([*command, "--device", args.device, "--out", str(out)], 600)
        board = json.loads((out / "leaderboard.json").read_text())
    return {"wall": wall, "bar": 60, "met": wall <= 60, "leaderboard": board["leaderboard"]}


if __name__ == "__main__":
    main()
