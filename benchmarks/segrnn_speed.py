"""SegRNN training speed on ETTh1 (L = 720, H = 96, paper settings), all in one process:
seqcast's network against the reference code's formulation, and both against the floor.

Symbols: B batch (64), L 720, H 96, C 7 channels, w 24, n = L/w = 30, m = H/w = 4, d 512.

Each variant trains on the same batches of the protocol's training windows (Adam, lr 3e-4,
MSE), in turn, and its seconds per batch are scaled to the reference's 122 batches per
epoch. The floor times torch.mm alone on the matrix shapes of seqcast's training step (the
GRU over the segments forward and backward, the embedding, the PMF step and the head), so
epoch time / floor says how much goes to anything but matrix products.

    SEQCAST_DATA_DIR=../shared/data python benchmarks/segrnn_speed.py --out results/speed

writes speed.json and speed.md into the new --out folder; with --profile N, also
profile.txt: torch.profiler's table of where N seqcast fp32 training batches spend their time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from reference_segrnn import ReferenceSegRNN

from seqcast.data.datasets import load_dataset
from seqcast.devices import matmul_precision
from seqcast.experiments.ltsf_settings import ltsf_params
from seqcast.models.registry import create_model
from seqcast.results import check_new, json_ready, results_dir, write_json

L, H, W, D, BATCH, EPOCH_BATCHES = 720, 96, 24, 512, 64, 122
CPU = torch.device("cpu")


def training_rows() -> tuple[torch.Tensor, list[str]]:
    """ETTh1's training rows [0, 8640), standardised: (8640, C), and the column names."""
    frame = load_dataset("etth1")
    train = torch.tensor(frame.iloc[:8640].to_numpy(), dtype=torch.float32)
    return (train - train.mean(0)) / train.std(0, unbiased=False), list(frame.columns)


def batches(count: int, n: int, seed: int) -> list[torch.Tensor]:
    """``n`` batches of window indices out of ``count``, in a seeded random order."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    return [order[i * BATCH : (i + 1) * BATCH] for i in range(n)]


def time_training(
    module: torch.nn.Module,
    forward: Callable[[torch.Tensor], torch.Tensor],
    series: torch.Tensor,
    index_batches: list[torch.Tensor],
) -> list[float]:
    """Seconds of each training step (the first, a warm-up, is left out)."""
    optimizer = torch.optim.Adam(module.parameters(), lr=3e-4)
    module.train()
    offsets = torch.arange(L + H)
    seconds = []
    for index in index_batches:
        clock = time.perf_counter()
        rows = series[index[:, None] + offsets]  # (B, L + H, C)
        x, y = rows[:, :L], rows[:, L:]
        loss = torch.nn.functional.mse_loss(forward(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - clock)
    return seconds[1:]


def profile_training(
    module: torch.nn.Module,
    forward: Callable[[torch.Tensor], torch.Tensor],
    series: torch.Tensor,
    index_batches: list[torch.Tensor],
) -> str:
    """torch.profiler's operator table (by self CPU time) over the given training batches."""
    from torch.profiler import ProfilerActivity, profile

    time_training(module, forward, series, index_batches[:2])  # warm up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        time_training(module, forward, series, index_batches)
    return str(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def floor_step(channels: int) -> Callable[[], None]:
    """torch.mm on the shapes of one seqcast training step (forward and backward)."""
    rows, n, m = BATCH * channels, L // W, H // W
    g = 3 * D
    big_x, big_g = torch.randn(rows * n, D), torch.randn(rows * n, g)
    seg, emb_w = torch.randn(rows * n, W), torch.randn(W, D)
    h, gh = torch.randn(rows, D), torch.randn(rows, g)
    w_ih, w_hh = torch.randn(D, g), torch.randn(g, D)
    head_in, head_w, head_g = torch.randn(rows * m, D), torch.randn(D, W), torch.randn(rows * m, W)

    def step() -> None:
        torch.mm(seg, emb_w)  # embedding forward
        torch.mm(big_x, w_ih)  # input projections of all segments
        for _ in range(n):
            torch.mm(h, w_ih)  # hidden projection per step (d x 3d)
        torch.mm(h, w_ih)  # PMF: the hidden projection once per series
        torch.mm(head_in, head_w)  # head forward
        torch.mm(head_g, head_w.t())  # head backward (input)
        torch.mm(head_g.t(), head_in)  # head backward (weight)
        torch.mm(gh, w_hh)  # PMF backward to h_n
        for _ in range(n):
            torch.mm(gh, w_hh)  # BPTT: d h_{t-1} per step
        torch.mm(big_g, w_hh)  # grad of the embedded segments
        torch.mm(big_g.t(), big_x)  # grad of W_ih
        torch.mm(big_g.t(), big_x)  # grad of W_hh (against h_{t-1}, same shapes)
        torch.mm(big_x.t(), seg)  # grad of the embedding weight

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="new folder for the results")
    parser.add_argument("--batches", type=int, default=EPOCH_BATCHES, help="timed per variant")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0, help="batches to profile (0: none)")
    args = parser.parse_args()
    check_new(args.out)
    torch.set_num_threads(args.threads)
    series, columns = training_rows()
    channels = len(columns)
    index_batches = batches(len(series) - L - H + 1, args.batches + 1, seed=0)

    torch.manual_seed(0)
    reference = ReferenceSegRNN(L, H, channels, W, D, dropout=0.1)
    params = ltsf_params("segrnn", L, H, "segrnn", {})
    forecaster = create_model("segrnn", **params)
    forecaster.targets_ = columns
    ours = forecaster.build(channels, H * channels)
    reference.copy_to(ours)

    def run_ours(x: torch.Tensor) -> torch.Tensor:
        return ours(x).view(-1, H, channels)

    variants = [
        ("reference formulation, fp32", reference, reference.forward, "fp32"),
        ("seqcast, fp32", ours, run_ours, "fp32"),
        ("reference formulation, bf16 matmuls", reference, reference.forward, "bf16"),
        ("seqcast, bf16 matmuls", ours, run_ours, "bf16"),
    ]
    rows = []
    for label, module, forward, precision in variants:
        with matmul_precision(precision, CPU):  # type: ignore[arg-type]
            seconds = time_training(module, forward, series, index_batches)
        per_batch = statistics.median(seconds)
        rows.append({"variant": label, "s_per_batch": per_batch})
        print(f"{label}: {per_batch:.3f} s/batch, {per_batch * EPOCH_BATCHES:.1f} s/epoch")
    floors = {}
    for precision in ("fp32", "bf16"):
        step = floor_step(channels)
        with matmul_precision(precision, CPU):  # type: ignore[arg-type]
            step()
            clock = time.perf_counter()
            for _ in range(5):
                step()
        floors[precision] = (time.perf_counter() - clock) / 5
        print(f"floor ({precision} torch.mm of the step's shapes): {floors[precision]:.3f} s/batch")
    base = rows[0]["s_per_batch"]
    for row in rows:
        row["s_per_epoch"] = row["s_per_batch"] * EPOCH_BATCHES
        row["speedup_vs_reference_fp32"] = base / row["s_per_batch"]
        precision = "bf16" if "bf16" in row["variant"] else "fp32"
        row["epoch_over_floor"] = row["s_per_batch"] / floors[precision]
    machine = f"{platform.processor() or platform.machine()}, {args.threads} threads"
    result = {
        "machine": machine,
        "torch": torch.__version__,
        "batches_timed": args.batches,
        "variants": rows,
        "floor_s_per_batch": floors,
    }
    lines = [
        "| variant | s/batch | s/epoch (122 batches) | vs reference fp32 | / floor |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['variant']} | {row['s_per_batch']:.3f} | {row['s_per_epoch']:.1f} | "
            f"{row['speedup_vs_reference_fp32']:.2f}x | {row['epoch_over_floor']:.2f} |"
        )
    lines.append(
        f"\nFloor per batch: fp32 {floors['fp32']:.3f} s, bf16 {floors['bf16']:.3f} s "
        f"({machine}, torch {torch.__version__})."
    )
    profile_table = ""
    if args.profile:
        profile_table = profile_training(ours, run_ours, series, index_batches[: args.profile])
        print(profile_table)
    with results_dir(args.out) as tmp:
        if profile_table:
            (tmp / "profile.txt").write_text(profile_table)
        write_json(tmp / "speed.json", json_ready(result))
        (tmp / "speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
