"""Export: a fitted model as ONNX (run by onnxruntime) or TorchScript (torch.jit.load),
forecasting as seqcast does, with no seqcast code in the loop."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli

from seqcast import SeqcastError, create_model
from seqcast.data.panel import from_series
from seqcast.export import export_model

if not os.environ.get("CI"):
    pytest.importorskip("onnxruntime")
import onnxruntime  # CI installs seqcast[export]: a missing onnxruntime fails there

H = 6


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    t = np.arange(300, dtype=float)
    noise = np.random.default_rng(1).normal(0, 0.1, 300)
    return pd.DataFrame(
        {"y": 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.01 * t + noise},
        index=pd.date_range("2024-01-01", periods=300, freq="h", name="hour"),
    )


CASES = {
    "gru (recursive)": ("gru", {"hidden_size": 8}),
    "conv_gru": ("conv_gru", {"strategy": "direct", "horizon": H}),
    "dlinear": ("dlinear", {"strategy": "direct", "horizon": H}),
    "segrnn": ("segrnn", {"strategy": "direct", "horizon": H, "seg_len": 6, "hidden_size": 16}),
    "deepar (logs, Student-t head)": ("deepar", {"scaling": "log", "lags": (12,)}),
    "deepar (shifted logs)": ("deepar", {"scaling": "log", "log_offset": 0.5, "lags": (12,)}),
    "mlp (quantile head)": (
        "mlp",
        {"strategy": "direct", "horizon": H, "train": {"epochs": 2, "loss": "quantile"}},
    ),
}


def run_onnx(path: Path, windows: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"window": windows.astype(np.float32)})[0]


def last_windows(data: pd.DataFrame, length: int, ends: list[int]) -> np.ndarray:
    """(B, L, 1) the L values before each end row."""
    values = data["y"].to_numpy()
    return np.stack([values[end - length : end, None] for end in ends])


@pytest.mark.parametrize("case", list(CASES))
def test_the_exported_model_forecasts_as_seqcast_does(
    case: str, hourly: pd.DataFrame, tmp_path: Path
) -> None:
    name, params = CASES[case]
    params = {"input_len": 24, "train": {"epochs": 2}, **params}
    model = create_model(name, **params).fit(hourly.iloc[:250], "y")
    ends = [250, 180, 120]  # three forecast origins in one batch
    expected = np.stack(
        [model.predict(H, history=hourly.iloc[:end])["y"].to_numpy() for end in ends]
    )[..., None]  # (B, H, 1)
    windows = last_windows(hourly, model.input_len, ends)
    onnx_file = export_model(model, tmp_path / "onnx", "onnx", horizon=H)
    got = run_onnx(onnx_file, windows)
    assert got.shape == (3, H, 1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    script = export_model(model, tmp_path / "ts", "torchscript", horizon=H)
    with torch.no_grad():
        scripted = torch.jit.load(str(script))(torch.as_tensor(windows, dtype=torch.float32))
    np.testing.assert_allclose(scripted.numpy(), expected, rtol=1e-5, atol=1e-4)
    described = json.loads((tmp_path / "onnx" / "export.json").read_text())
    assert described["input"]["shape"] == ["B", 24, 1] and described["input"]["columns"] == ["y"]
    assert described["output"]["shape"] == ["B", H, 1] and described["targets"] == ["y"]
    # the model itself stays where it was and forecasts as before
    assert np.array_equal(
        model.predict(H, history=hourly.iloc[:250])["y"].to_numpy(), expected[0, :, 0]
    )


def test_a_panel_model_takes_the_series_number_as_a_column(tmp_path: Path) -> None:
    t = np.arange(120, dtype=float)
    frames = []
    for i, level in enumerate([5.0, 50.0]):
        index = pd.date_range("2024-01-01", periods=120, freq="D", name="day")
        y = level * (1 + 0.2 * np.sin(2 * np.pi * t / 7))
        frames.append(pd.DataFrame({"id": f"s{i}", "day": index, "y": y}))
    panel = pd.concat(frames).set_index(["id", "day"])
    model = create_model(
        "mlp", input_len=14, horizon=7, strategy="direct", id_embedding=2, train={"epochs": 2}
    ).fit(panel, "y")
    expected = model.predict(7)  # every series after its last row
    path = export_model(model, tmp_path / "onnx", "onnx")
    described = json.loads((tmp_path / "onnx" / "export.json").read_text())
    assert described["input"]["columns"][-1].startswith("series number")
    assert described["series_ids"] == ["s0", "s1"]
    windows = np.stack(
        [
            np.column_stack([panel.loc[key, "y"].to_numpy()[-14:], np.full(14, float(number))])
            for number, key in enumerate(described["series_ids"])
        ]
    )
    got = run_onnx(path, windows)[..., 0]
    want = np.stack([expected.loc[key, "y"].to_numpy() for key in ("s0", "s1")])
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_exports_refuse_what_they_cannot_write(hourly: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(SeqcastError, match="mlp is not fitted; nothing to export"):
        export_model(create_model("mlp"), tmp_path / "a")
    direct = create_model("mlp", input_len=24, horizon=H, strategy="direct", train={"epochs": 1})
    direct.fit(hourly, "y")
    with pytest.raises(SeqcastError, match="format must be onnx or torchscript, got 'tflite'"):
        export_model(direct, tmp_path / "b", "tflite")  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="trained to forecast 6 steps .direct.; cannot export 7"):
        export_model(direct, tmp_path / "c", horizon=7)
    data = hourly.assign(z=np.cos(np.arange(len(hourly)) / 5))
    recursive = create_model("gru", input_len=24, covariates=("z",), train={"epochs": 1})
    recursive.fit(data, "y")
    with pytest.raises(SeqcastError, match="forecasts recursively from 2 channels, 1 of them"):
        export_model(recursive, tmp_path / "d", horizon=3)
    panel = from_series({"a": hourly, "b": hourly * 2})
    shifted = create_model("mlp", input_len=24, scaling="log", log_offset=0.1, train={"epochs": 1})
    with pytest.raises(SeqcastError, match=r"log_offset 0.1.*does not say which series"):
        export_model(shifted.fit(panel, "y"), tmp_path / "e")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("a user's file")
    with pytest.raises(SeqcastError, match="taken"):
        export_model(direct, taken)
    assert (taken / "mine.txt").read_text() == "a user's file"


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fit = ["fit", "--dataset", "sine", "--target", "x", "--model", "mlp", "--no-progress"]
    fit += ["--set", "input_len=8", "--set", "horizon=4", "--set", "strategy=direct"]
    fit += ["--set", "train.epochs=1", "--out", str(tmp_path / "m")]
    code, _, err = run_cli(fit, capsys)
    assert code == 0, err
    checkpoint = str(tmp_path / "m" / "model.pt")
    code, stdout, err = run_cli(
        [
            "export",
            "--checkpoint",
            checkpoint,
            "--format",
            "torchscript",
            "--out",
            str(tmp_path / "e"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "mlp as torchscript" in stdout and (tmp_path / "e" / "model.pt").is_file()
    code, _, err = run_cli(
        ["export", "--checkpoint", checkpoint, "--format", "pb", "--out", str(tmp_path / "f")],
        capsys,
    )
    assert code != 0 and "--format must be onnx or torchscript, got 'pb'" in err
    code, stdout, _ = run_cli(["export", "--help"], capsys)
    assert "onnxruntime" in stdout
