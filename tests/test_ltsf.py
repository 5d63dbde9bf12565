"""The long-term forecasting protocol: borders, presets, the learning-rate schedules, the
last-value errors, and an end-to-end run on a CI-sized slice of ETTh1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import needs_etth1, run_cli

from seqcast import SeqcastError
from seqcast.data.splits import part_borders
from seqcast.evaluation.ltsf import _last_value_errors, run_ltsf
from seqcast.experiments.ltsf_settings import ltsf_params
from seqcast.train_config import TrainConfig
from seqcast.training import learning_rate


def test_part_borders_start_later_parts_a_lookback_early() -> None:
    assert part_borders(96, (8640, 2880, 2880)) == {
        "train": (0, 8640),
        "valid": (8544, 11520),
        "test": (11424, 14400),
    }
    with pytest.raises(SeqcastError, match="lookback must be between 1 and 100"):
        part_borders(120, (100, 50, 50))


def test_segrnn_schedule_follows_the_reference() -> None:
    # epoch 1 at lr/25 (an unstepped OneCycleLR), epochs 2-4 at lr, then x0.8 per epoch
    config = TrainConfig(lr=1e-3, lr_schedule="segrnn")
    rates = [learning_rate(config, e) for e in range(1, 8)]
    np.testing.assert_allclose(rates, [4e-5, 1e-3, 1e-3, 1e-3, 8e-4, 6.4e-4, 5.12e-4])
    halve = TrainConfig(lr=0.005, lr_schedule="halve")
    np.testing.assert_allclose(
        [learning_rate(halve, e) for e in (1, 2, 3)], [5e-3, 2.5e-3, 1.25e-3]
    )
    cosine = TrainConfig(lr=0.01, epochs=4, lr_schedule="cosine")
    np.testing.assert_allclose(  # (1 + cos(pi k / 4)) / 2 for k = 0..3
        [learning_rate(cosine, e) for e in (1, 2, 3, 4)],
        [0.01, 0.01 * (2 + 2**0.5) / 4, 0.005, 0.01 * (2 - 2**0.5) / 4],
    )
    with pytest.raises(SeqcastError, match="lr_schedule must be one of .*cosine"):
        TrainConfig(lr_schedule="step")  # type: ignore[arg-type]


def test_presets_hold_the_paper_settings_and_take_overrides() -> None:
    paper = ltsf_params("segrnn", 720, 96, "auto", {})
    assert paper["seg_len"] == 24 and paper["hidden_size"] == 512 and paper["dropout"] == 0.1
    assert paper["train"]["batch_size"] == 64 and paper["train"]["lr"] == 3e-4
    assert paper["train"]["patience"] == 5 and paper["train"]["epochs"] == 30
    short = ltsf_params("segrnn", 96, 192, "auto", {"train": {"epochs": 2}, "dropout": 0.2})
    assert short["train"]["batch_size"] == 256 and short["train"]["lr"] == 1e-3
    assert short["train"]["patience"] == 10 and short["train"]["epochs"] == 2
    assert short["dropout"] == 0.2 and short["input_len"] == 96 and short["horizon"] == 192
    with pytest.raises(SeqcastError, match="unknown preset 'fast'"):
        ltsf_params("segrnn", 96, 96, "fast", {})


def test_last_value_errors_by_hand() -> None:
    values = np.arange(12.0).reshape(6, 2)  # rows 0..5, two columns rising by 2 per row
    # L = 2, H = 2: windows end at rows 1, 2, 3; each step ahead is 2 higher per row
    errors = _last_value_errors(values, lookback=2, horizon=2)
    assert errors == {"mse": (4 + 16) / 2, "mae": (2 + 4) / 2}


def test_ltsf_refuses_too_little_data_and_non_neural_models() -> None:
    frame = pd.DataFrame(
        {"a": np.arange(100.0), "b": np.ones(100)},
        index=pd.date_range("2020-01-01", periods=100, freq="h"),
    )
    params = ltsf_params("segrnn", 24, 24, "auto", {"seg_len": 12})
    with pytest.raises(SeqcastError, match="needs 14400 rows"):
        run_ltsf(frame, "segrnn", 24, 24, params)
    with pytest.raises(SeqcastError, match="the valid part has 30 rows"):
        run_ltsf(frame, "segrnn", 24, 24, params, rows=(60, 6, 30))
    with pytest.raises(SeqcastError, match="naive is not one"):
        run_ltsf(frame, "naive", 24, 24, {}, rows=(60, 20, 20))


@needs_etth1
def test_segrnn_learns_etth1_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    args = [
        "ltsf",
        "--dataset",
        "etth1",
        "--model",
        "segrnn",
        "--lookback",
        "48",
        "--horizon",
        "24",
        "--rows",
        "1200,400,400",
        "--set",
        "seg_len=12",
        "--set",
        "hidden_size=32",
        "--set",
        "train.epochs=5",
        "--seeds",
        "1,2",
        "--out",
        str(out),
    ]
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0, stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"mse", "mae", "epochs", "seconds_per_epoch", "params", "peak_rss_mb"} <= set(metrics)
    assert [r["seed"] for r in metrics["seeds"]] == [1, 2]
    assert metrics["mse"] == pytest.approx(np.mean([r["mse"] for r in metrics["seeds"]]))
    assert metrics["test_windows"] == 400 - 24 + 1  # every window, none dropped
    assert metrics["mse"] < 0.9 * metrics["last_value"]["mse"]  # it learns
    assert metrics["params"] == (12 * 32 + 32) + 6 * 32 * 33 + 2 * 16 + 7 * 16 + (32 * 12 + 12)
    code, _, stderr = run_cli(args, capsys)  # the folder exists: refused, nothing lost
    assert code == 1 and "already exists" in stderr
