"""Daily-refit SARIMA(1,0,0)(0,1,1,7) on ridership rail: seqcast against the straightforward
statsmodels loop, both timed as whole processes (start-up and imports included), alternating
in one run; then the two refit loops alone, in this process after every import.

    SEQCAST_DATA_DIR=../shared/data python benchmarks/arima_rolling.py --rounds 5

Writes arima_rolling.json and arima_rolling.md into a new folder under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import straightforward_arima
from threadpoolctl import threadpool_limits

from seqcast import backtest, create_model, load_dataset
from seqcast.data.datasets import dataset_info, locate
from seqcast.results import fresh_path, results_dir, write_json

HERE = Path(__file__).resolve().parent
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def seqcast_command(out: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "seqcast",
        "backtest",
        "--dataset",
        "ridership",
        "--target",
        "rail",
        "--model",
        "arima",
        "--set",
        "order=1,0,0",
        "--set",
        "seasonal_order=0,1,1,7",
        "--start",
        "2019-03-01",
        "--end",
        "2019-05-31",
        "--train-start",
        "2019-01-01",
        "--refit",
        "--workers",
        str(workers),
        "--out",
        str(out),
    ]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Whole-process seconds and what the process printed."""
    clock = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - clock, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    remote = dataset_info("ridership").remote
    assert remote is not None
    csv, _ = locate(remote)
    base_env = dict(os.environ)
    peer = [sys.executable, str(HERE / "straightforward_arima.py"), str(csv)]
    names = ["straightforward", "seqcast 1 worker", "seqcast 2 workers"]
    times: dict[str, list[float]] = {name: [] for name in names}
    loops: dict[str, list[float]] = {name: [] for name in names}
    maes: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            seconds, printed = timed(peer, {**base_env, **ONE_THREAD})
            times[names[0]].append(seconds)
            maes[names[0]] = float(printed.split()[-1])
            for workers, name in ((1, names[1]), (2, names[2])):
                out = Path(tmp) / f"run-{r}-{workers}"
                times[name].append(timed(seqcast_command(out, workers), base_env)[0])
                maes[name] = json.loads((out / "metrics.json").read_text())["mae"]
    rail = straightforward_arima.load_rail(str(csv))
    data = load_dataset("ridership")
    with threadpool_limits(limits=1, user_api="blas"):  # the peer's loop, BLAS on one thread
        for _ in range(args.rounds):
            clock = time.perf_counter()
            straightforward_arima.rolling_forecasts(rail)
            loops[names[0]].append(time.perf_counter() - clock)
            for workers, name in ((1, names[1]), (2, names[2])):
                model = create_model("arima", order=(1, 0, 0), seasonal_order=(0, 1, 1, 7))
                clock = time.perf_counter()
                backtest(
                    model,
                    data,
                    "rail",
                    "2019-03-01",
                    "2019-05-31",
                    refit=True,
                    train_start="2019-01-01",
                    workers=workers,
                )
                loops[name].append(time.perf_counter() - clock)
    whole = statistics.median(times[names[0]])
    loop = statistics.median(loops[names[0]])
    rows = [
        {
            "run": name,
            "median_s": round(statistics.median(times[name]), 3),
            "all_s": [round(v, 3) for v in times[name]],
            "speedup": round(whole / statistics.median(times[name]), 2),
            "loop_median_s": round(statistics.median(loops[name]), 3),
            "loop_speedup": round(loop / statistics.median(loops[name]), 2),
            "mae": round(maes[name], 1),
        }
        for name in names
    ]
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus"
    payload = {
        "machine": machine,
        "python": platform.python_version(),
        "rounds": args.rounds,
        "runs": rows,
    }
    lines = [
        "| run | whole process, median s | speed-up | refit loop only, median s | speed-up | MAE |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['run']} | {r['median_s']} | {r['speedup']}x | {r['loop_median_s']} | "
        f"{r['loop_speedup']}x | {r['mae']:,} |"
        for r in rows
    ]
    with results_dir(fresh_path(args.out, "arima_rolling")) as tmp_out:
        write_json(tmp_out / "arima_rolling.json", payload)
        (tmp_out / "arima_rolling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
