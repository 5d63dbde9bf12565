"""The CPU cost of issue 20's data path, in one process: a SegRNN training step (ETTh1,
L=720, H=96, batch 64, the paper's size) fed from NumPy windows (``Windows.batch`` and
``torch.from_numpy``, the path before) and from the same windows resident as one tensor
(``ResidentWindows.batch``, the path now), alternating on the same batches.

    SEQCAST_DATA_DIR=../shared/data python benchmarks/batch_path.py --rounds 12
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from seqcast.data.datasets import load_dataset
from seqcast.data.resident import ResidentWindows
from seqcast.experiments.ltsf_settings import ltsf_params
from seqcast.models.registry import create_model

L, H, BATCH = 720, 96, 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="alternations of 4 batches each")
    args = parser.parse_args()
    frame = load_dataset("etth1").iloc[:8640]
    params = ltsf_params("segrnn", L, H, "auto", {})
    params["train"]["epochs"] = 1  # the fit only builds the channels and the network
    model = create_model("segrnn", **params)
    model.fit(frame.iloc[: L + H + 200], list(frame.columns), valid=None)  # channels, network
    windows = model.windows(frame)
    resident = ResidentWindows.of(windows, torch.device("cpu"))
    module = model.trained_.module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-4)
    order = torch.randperm(len(windows), generator=torch.Generator().manual_seed(0))
    batches = list(order.split(BATCH))

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        out = module(x)[:, -1:].reshape(y.shape)
        loss = torch.nn.functional.mse_loss(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def numpy_path(index: torch.Tensor) -> None:
        x, y = windows.batch(index.numpy())
        step(torch.from_numpy(x), torch.from_numpy(y))

    def resident_path(index: torch.Tensor) -> None:
        step(*resident.batch(index))

    timings: dict[str, list[float]] = {"numpy": [], "resident": []}
    numpy_path(batches[0])  # warm-up
    for r in range(args.rounds):
        for name, path in (("numpy", numpy_path), ("resident", resident_path)):
            for index in batches[4 * r : 4 * r + 4]:
                clock = time.perf_counter()
                path(index)
                timings[name].append(time.perf_counter() - clock)
    gather = {"numpy": [], "resident": []}
    for index in batches[:50]:
        for name, get in (
            ("numpy", lambda i: windows.batch(i.numpy())),
            ("resident", resident.batch),
        ):
            clock = time.perf_counter()
            get(index)
            gather[name].append(time.perf_counter() - clock)
    result = {
        "step_seconds": {k: statistics.median(v) for k, v in timings.items()},
        "gather_ms": {k: 1e3 * statistics.median(v) for k, v in gather.items()},
        "batches_each": len(timings["numpy"]),
        "threads": torch.get_num_threads(),
    }
    result["step_ratio_resident_over_numpy"] = (
        result["step_seconds"]["resident"] / result["step_seconds"]["numpy"]
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
