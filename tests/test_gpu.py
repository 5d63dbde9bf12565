"""The CUDA paths: training and forecasting on a GPU, bf16 there, checkpoints that travel to
the CPU, exact resume. Skipped without a CUDA GPU (CI has none); benchmarks/gpu_check.py
runs them where one is lent (set CUBLAS_WORKSPACE_CONFIG=:4096:8 for the exact resume)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_resume import assert_same_training, interrupted_and_resumed

from seqcast import create_model, list_models, load_model
from seqcast.data.resident import ResidentWindows
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import model_class
from seqcast.networks.recurrent import RecurrentNet

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
NEURAL = [n for n in list_models() if issubclass(model_class(n), NeuralForecaster)]


def small(name: str, **train: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "input_len": 12,
        "horizon": 4,
        "strategy": "direct",
        "train": {"epochs": 3, "device": "cuda", **train},
    }
    if name == "segrnn":
        settings.update(seg_len=4, hidden_size=16)
    return settings


@pytest.mark.parametrize("name", NEURAL)
def test_every_model_trains_on_the_gpu_and_forecasts_on_the_cpu(
    name: str, wave: pd.DataFrame, tmp_path: Path
) -> None:
    model = create_model(name, **small(name)).fit(wave.iloc[:200], "y")
    history = model.trained_.history
    assert history.device.startswith("cuda:0 (") and history.peak_memory_mb > 0
    assert next(model.trained_.module.parameters()).is_cuda
    on_gpu = model.predict(4)["y"].to_numpy()
    model.save(tmp_path / "model.pt")
    on_cpu = load_model(tmp_path / "model.pt", device="cpu")
    assert not next(on_cpu.trained_.module.parameters()).is_cuda
    cpu = on_cpu.predict(4, history=wave.iloc[:200])["y"].to_numpy()
    np.testing.assert_allclose(cpu, on_gpu, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", NEURAL)
def test_bf16_autocast_trains_every_model(name: str, wave: pd.DataFrame) -> None:
    exact = create_model(name, **small(name)).fit(wave.iloc[:200], "y").predict(4)
    model = create_model(name, **small(name, precision="bf16")).fit(wave.iloc[:200], "y")
    fast = model.predict(4)
    assert np.isfinite(fast.to_numpy()).all()
    scale = np.abs(exact.to_numpy()).max() + 0.1
    assert np.abs(fast.to_numpy() - exact.to_numpy()).max() < 0.2 * scale


def test_the_cudnn_gru_and_the_cpu_one_agree() -> None:
    torch.manual_seed(0)
    net = RecurrentNet(5, 16, 3, cell="gru")
    x = torch.randn(8, 30, 5)
    cpu = net(x)  # the hand-written sequence function
    gpu = net.to("cuda")(x.to("cuda"))  # cuDNN, the same weights
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-5)


def test_windows_live_on_the_gpu(wave: pd.DataFrame) -> None:
    model = create_model("mlp", **small("mlp"))
    model.fit(wave.iloc[:200], "y")
    resident = ResidentWindows.of(model.windows(wave.iloc[:200]), torch.device("cuda"))
    assert resident.values.is_cuda and resident.starts.is_cuda
    x, y = resident.batch(torch.arange(4, device="cuda"))
    assert x.is_cuda and y.shape == (4, 1, 4, 1)


def test_an_interrupted_gpu_fit_resumes_exactly(wave: pd.DataFrame, tmp_path: Path) -> None:
    """Recurrent dropout draws from the GPU's generator: resume restores it too."""
    torch.use_deterministic_algorithms(True)
    try:
        settings = {
            "input_len": 10,
            "recurrent_dropout": 0.2,
            "train": {"epochs": 5, "seed": 3, "patience": 100, "device": "cuda"},
        }
        path = tmp_path / "interrupted.pt"
        whole, resumed = interrupted_and_resumed("rnn", settings, wave, path, 2)
        assert_same_training(resumed, whole)
    finally:
        torch.use_deterministic_algorithms(False)
