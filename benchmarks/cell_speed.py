"""Epoch time of seqcast's recurrent paths (the sequence-level GRU, and the step-loop cells:
LayerNorm RNN, GRU with recurrent dropout) against torch's fused nn.GRU of the same size,
alternating in one run.

Ridership-sized work: 1,040 windows of 56 steps, 5 input channels, hidden size 32, batch 32,
14 outputs per step (seq2seq), SGD. Only the training epoch is timed.

    python benchmarks/cell_speed.py --epochs 5 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from seqcast.networks.recurrent import RecurrentNet
from seqcast.results import fresh_path, results_dir, write_json

VARIANTS = {  # label: (kind, recurrent dropout, layer norm); torch's own GRU is added below
    "seqcast gru (sequence-level GRU, hand-written backward)": ("gru", 0.0, False),
    "GRU step loop (recurrent dropout 0.2)": ("gru", 0.2, False),
    "LayerNorm RNN step loop": ("rnn", 0.0, True),
    "fused nn.RNN": ("rnn", 0.0, False),
}


class TorchGRU(torch.nn.Module):
    """torch's nn.GRU and a per-step Linear head: the reference."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(5, 32, batch_first=True)
        self.head = torch.nn.Linear(32, 14)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(x)[0])


def epoch_seconds(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    optimizer = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.HuberLoss()
    clock = time.perf_counter()
    for index in torch.randperm(len(x)).split(32):
        loss = loss_fn(module(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = torch.randn(1040, 56, 5), torch.randn(1040, 56, 14)
    modules: dict[str, torch.nn.Module] = {"fused nn.GRU": TorchGRU()}
    modules.update(
        {
            label: RecurrentNet(5, 32, 14, cell=kind, recurrent_dropout=rd, layer_norm=ln)
            for label, (kind, rd, ln) in VARIANTS.items()
        }
    )
    times: dict[str, list[float]] = {label: [] for label in modules}
    for _ in range(args.epochs):
        for label, module in modules.items():
            module.train()
            times[label].append(epoch_seconds(module, x, y))
    base = statistics.median(times["fused nn.GRU"])
    rows = [
        {
            "variant": label,
            "median_s": round(statistics.median(v), 3),
            "ratio_to_fused_gru": round(statistics.median(v) / base, 2),
        }
        for label, v in times.items()
    ]
    lines = ["| variant | s/epoch (median) | ratio to fused nn.GRU |", "| --- | --- | --- |"]
    lines += [f"| {r['variant']} | {r['median_s']} | {r['ratio_to_fused_gru']}x |" for r in rows]
    with results_dir(fresh_path(args.out, "cell_speed")) as tmp:
        write_json(tmp / "cell_speed.json", {"threads": args.threads, "rows": rows})
        (tmp / "cell_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
