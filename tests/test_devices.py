"""Devices and precision: every device path run on the CPU, as CI has no GPU (the CUDA ones
are in test_gpu.py and skip without one)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli as _cli

from seqcast import SeqcastError, create_model, devices, list_models, load_model
from seqcast.data.resident import ResidentWindows
from seqcast.data.windows import Windows
from seqcast.engines import Engine
from seqcast.engines.gpus import DEFAULT_SHARE, task_share, worker_gpu
from seqcast.engines.local import LocalPool
from seqcast.explain import explain
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import model_class
from seqcast.networks.cells import gru_update
from seqcast.train_config import TrainConfig

NEURAL = [n for n in list_models() if issubclass(model_class(n), NeuralForecaster)]
CPU = torch.device("cpu")
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


def small(name: str, **train: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "input_len": 12,
        "horizon": 4,
        "strategy": "direct",
        "train": {"epochs": 2, **train},
    }
    if name == "segrnn":
        settings.update(seg_len=4, hidden_size=16)
    return settings


def test_resolve_names_the_cpu_and_refuses_what_is_not_a_device() -> None:
    assert devices.resolve("cpu") == CPU
    for bad in ("gpu", "cuda:x", "CUDA", "", "tpu"):
        with pytest.raises(SeqcastError, match="device must be auto, cpu, cuda, cuda:N or mps"):
            devices.resolve(bad)
    with pytest.raises(SeqcastError, match="train: device must be auto, cpu"):
        TrainConfig(device="gpu0")
    with pytest.raises(
        SeqcastError, match="train: precision must be one of 'fp32', 'tf32', 'bf16'"
    ):
        TrainConfig(precision="fp16")  # type: ignore[arg-type]


@no_cuda
def test_auto_is_the_cpu_without_a_gpu_and_cuda_is_refused_by_name() -> None:
    if not devices._mps_available():
        assert devices.resolve("auto") == CPU
    for asked in ("cuda", "cuda:1"):
        with pytest.raises(SeqcastError, match=f"device {asked}: torch sees no CUDA GPU"):
            devices.resolve(asked)


def test_resident_batches_are_the_windows_batches() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 3)).astype(np.float32)
    series = Windows.over(values, values[:, :2], 6, 3, steps=[1, 3, 5])
    panel = Windows.over_series(values, values[:, :1], np.array([15, 5, 20]), 4, 2)
    for windows in (series, panel):
        resident = ResidentWindows.of(windows, CPU)
        index = np.array([len(windows) - 1, 0, 3, 3])
        x, y = windows.batch(index)
        rx, ry = resident.batch(torch.as_tensor(index))
        assert rx.shape == x.shape and ry.shape == y.shape
        assert np.array_equal(rx.numpy(), x) and np.array_equal(ry.numpy(), y)
    # targets that are the features' leading columns go to the device once
    resident = ResidentWindows.of(series, CPU)
    assert resident.targets.data_ptr() == resident.values.data_ptr()
    held = series.take(slice(20, None))
    again = ResidentWindows.of(held, CPU, like=resident)
    assert again.values is resident.values and len(again) == len(held)


def test_training_on_an_explicit_cpu_records_where_and_how(wave: pd.DataFrame) -> None:
    model = create_model("gru", **small("gru", device="cpu")).fit(wave.iloc[:150], "y")
    history = model.trained_.history
    assert history.device == "cpu" and history.precision == "fp32"
    assert history.peak_memory_mb > 10  # the process's peak resident size, in MB
    assert history.ran_on().startswith("cpu, fp32, peak ")
    assert next(model.trained_.module.parameters()).device == CPU


@pytest.mark.parametrize("name", NEURAL)
def test_bf16_and_tf32_train_every_neural_model(name: str, wave: pd.DataFrame) -> None:
    data = wave.iloc[:150]
    exact = create_model(name, **small(name)).fit(data, "y").predict(4)["y"].to_numpy()
    for precision in ("bf16", "tf32"):
        model = create_model(name, **small(name, precision=precision)).fit(data, "y")
        forecast = model.predict(4)["y"].to_numpy()
        assert model.trained_.history.precision == precision
        assert np.isfinite(forecast).all()
        # a few bits fewer in the products, the same model: close to the exact run
        assert np.abs(forecast - exact).max() < 0.2 * (np.abs(exact).max() + 0.1)


@pytest.mark.parametrize("loss", ["normal", "student_t", "quantile"])
def test_bf16_trains_distribution_heads(loss: str, wave: pd.DataFrame) -> None:
    model = create_model("mlp", **small("mlp", precision="bf16", loss=loss))
    bounds = model.fit(wave.iloc[:150], "y").predict_interval(4, [80])
    assert np.isfinite(bounds.to_numpy()).all()
    assert (bounds["y_lo_80"] <= bounds["y_hi_80"]).all()


def test_a_gru_step_takes_a_state_of_another_dtype() -> None:
    """Under CUDA's bf16 autocast SegRNN's decoder met a Half state from the encoder's layer
    (torch.lerp: "expected dtype BFloat16 for end but got Half")."""
    d = 4
    rz, gi_n, gh_n = (torch.randn(2, n, dtype=torch.bfloat16) for n in (2 * d, d, d))
    h = torch.randn(2, d, dtype=torch.float16)
    new, _, _ = gru_update(rz, gi_n, gh_n, h)
    exact, _, _ = gru_update(rz.float(), gi_n.float(), gh_n.float(), h.float())
    assert new.dtype == torch.bfloat16
    assert torch.allclose(new.float(), exact, atol=0.02)


def test_segrnn_trains_under_autocast() -> None:
    model = create_model("segrnn", **small("segrnn"))
    net = model.build(3, 3)
    x = torch.randn(5, 12, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x)
    out.float().square().mean().backward()
    assert out.shape == (5, 1, 12) and all(p.grad is not None for p in net.parameters())


def test_loading_puts_the_network_where_asked(wave: pd.DataFrame, tmp_path: Path) -> None:
    model = create_model("gru", **small("gru")).fit(wave.iloc[:150], "y")
    path = tmp_path / "model.pt"
    model.save(path)
    saved = torch.load(path, weights_only=True)
    tensors = [v for v in saved["state_dict"].values()]
    tensors += [v for v in saved["resume"]["weights"].values()]
    assert all(t.device == CPU for t in tensors)
    assert saved["resume"]["device_rng"] is None  # a CPU run has no accelerator generator
    loaded = load_model(path, device="cpu")
    history = wave.iloc[:150]
    assert np.array_equal(
        loaded.predict(4, history=history).to_numpy(), model.predict(4).to_numpy()
    )
    if not torch.cuda.is_available():
        with pytest.raises(SeqcastError, match="device cuda: torch sees no CUDA GPU"):
            load_model(path, device="cuda")
    with pytest.raises(SeqcastError, match="gru is not fitted; nothing to move"):
        create_model("gru").to_device("cpu")


def test_explain_says_where_it_ran(capsys: pytest.CaptureFixture[str]) -> None:
    result = explain("gru", 4, 2, params={"train": {"device": "cpu", "precision": "bf16"}})
    assert result.device == "cpu" and result.precision == "bf16"
    assert result.peak_memory_mb > 0
    code, stdout, _ = _cli(["explain", "mlp", "--device", "cpu", "--precision", "bf16"], capsys)
    assert code == 0 and "ran on cpu, bf16, peak " in stdout


def test_cli_fit_records_the_device_and_refuses_one_it_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["fit", "--dataset", "sine", "--target", "x", "--model", "mlp", "--no-progress"]
    common += ["--set", "input_len=8", "--set", "train.epochs=1"]
    code, stdout, _ = _cli([*common, "--out", str(tmp_path / "m"), "--device", "cpu"], capsys)
    assert code == 0 and "trained on cpu, fp32, peak " in stdout
    record = json.loads((tmp_path / "m" / "training.json").read_text())
    assert record["history"]["device"] == "cpu" and record["history"]["precision"] == "fp32"
    assert record["history"]["peak_memory_mb"] > 0
    code, _, stderr = _cli([*common, "--out", str(tmp_path / "x"), "--precision", "fp8"], capsys)
    assert code != 0 and "'train.precision' must be one of 'fp32', 'tf32', 'bf16'" in stderr
    if not torch.cuda.is_available():
        code, _, stderr = _cli([*common, "--out", str(tmp_path / "y"), "--device", "cuda"], capsys)
        assert code != 0 and "torch sees no CUDA GPU" in stderr
        assert not (tmp_path / "y").exists()


def test_benchmark_gives_the_device_to_the_neural_models_alone(tmp_path: Path) -> None:
    from seqcast.evaluation.benchmark import default_models

    models = default_models(7, 3, ["naive", "mlp"], training=["train.device=cpu"])
    assert [m.name for m in models] == ["naive", "mlp"]
    assert models[1].train.device == "cpu"  # type: ignore[attr-defined]
    # --set train.* goes to the models that train a network, as --device does
    mixed = default_models(7, 3, ["naive", "mlp"], settings=["train.epochs=2"])
    assert mixed[1].train.epochs == 2  # type: ignore[attr-defined]
    with pytest.raises(SeqcastError, match="train.device=cpu: none of naive, drift trains"):
        default_models(7, 3, ["naive", "drift"], settings=["train.device=cpu"])
    with pytest.raises(SeqcastError, match="naive has no parameter 'hidden_size'"):
        default_models(7, 3, ["naive", "mlp"], settings=["hidden_size=4"])
    with pytest.raises(SeqcastError, match="mlp train has no parameter 'epoch'"):
        default_models(7, 3, ["naive", "mlp"], settings=["train.epoch=4"])


def _visible_gpu(_: int) -> str:
    time.sleep(0.3)  # both workers take a task
    return os.environ.get("CUDA_VISIBLE_DEVICES", "")


def test_local_workers_over_several_gpus_keep_one_each() -> None:
    assert [worker_gpu(i, ["0", "1", "3"]) for i in range(4)] == ["0", "1", "3", "0"]
    assert worker_gpu(0, ["0"]) is None and worker_gpu(1, []) is None
    pool = LocalPool(2, gpus=["0", "1"])
    try:
        seen = pool.map(_visible_gpu, list(range(6)))
    finally:
        pool.close()
    assert set(seen) == {"0", "1"}


def test_ray_tasks_ask_for_a_gpu_share_only_for_networks() -> None:
    assert task_share(None, 0, ("torch",)) == 0
    assert task_share(None, 2, ("torch",)) == DEFAULT_SHARE
    assert task_share(0.5, 0, ("torch",)) == 0.5
    assert task_share(1, 8, ("statsmodels",)) == 0
    for bad in (-1, 1.5, "half", True):
        with pytest.raises(SeqcastError, match="gpus_per_task"):
            Engine("ray", gpus_per_task=bad)  # type: ignore[arg-type]
    engine = Engine("ray", workers=2, gpus_per_task=0.5)
    assert engine.__getstate__()["gpus_per_task"] == 0.5


def test_tune_searches_wider_on_a_gpu() -> None:
    optuna = pytest.importorskip("optuna")
    from seqcast.tuning.spaces import suggest

    chosen = {"input_len": 48, "train.lr": 1e-3, "train.batch_size": 2048, "hidden_size": 512}
    chosen |= {"num_layers": 1, "highway": False}
    wide = suggest(optuna.trial.FixedTrial(chosen), "gru", 24, 48, wide=True)
    assert wide["hidden_size"] == 512 and wide["train.batch_size"] == 2048
    with pytest.raises(ValueError, match="not in"):
        suggest(optuna.trial.FixedTrial(chosen), "gru", 24, 48)
