"""The seed experiments: each must show what its chapter shows."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import needs_ridership
from conftest import run_cli as run

from seqcast.errors import SeqcastError
from seqcast.experiments.presets import ridership, run_preset
from seqcast.networks.tokens import CellLoopRNN, TokenRNN, encode, train_tokens


def test_sine_mlp_tracks_one_step_and_flattens_recursively(tmp_path: Path) -> None:
    result = run_preset("sine-mlp", tmp_path)
    figures = result.figures
    # 1-step predictions are about as good as the noise allows (its variance is 0.04).
    assert 0.03 < figures["one_step_mse"] < 0.07
    # Errors pile up when predictions are fed back: strictly worse with every k.
    kstep = [figures["kstep_mse"][k] for k in (1, 4, 16, 64)]
    assert all(a < b for a, b in itertools.pairwise(kstep))
    assert kstep[-1] > 4 * kstep[0]
    # The recursive forecast from t = 604 settles to a near-constant: no sine left.
    assert figures["recursive_last_100_std"] < 0.1 * figures["data_std"]
    assert figures["data_std"] > 0.6
    for image in result.images.values():
        assert (tmp_path / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sine_lstm_forecasts_the_held_out_period(tmp_path: Path) -> None:
    result = run_preset("sine-lstm", tmp_path)
    # The held-out 40 points span one period of amplitude 1 (variance 0.5).
    assert result.figures["recursive_40_mse"] < 0.01
    loss = result.figures["train_loss"]
    assert len(loss) == 10 and loss[-1] < loss[0] / 10


def test_hello_every_network_learns_ohlol(tmp_path: Path) -> None:
    figures = run_preset("hello", tmp_path).figures
    assert figures["loop_equals_fused"] is True
    assert set(figures["accuracy"].values()) == {1.0}
    assert figures["embedding_model_says"] == "ohlol"


def test_cell_loop_equals_fused_rnn_for_the_same_weights() -> None:
    torch.manual_seed(1)
    loop, fused = CellLoopRNN(4), TokenRNN(4, 4, head=False)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(fused.rnn, f"{name}_l0").data.copy_(getattr(loop.cell, name).data)
    tokens = torch.tensor([encode("hello", "helo"), encode("olleh", "helo")])
    with torch.no_grad():
        expected = loop(tokens)
        # One step by hand: h1 = tanh(W_ih x1 + b_ih + W_hh 0 + b_hh).
        x1 = torch.nn.functional.one_hot(tokens[:, 0], 4).float()
        h1 = torch.tanh(x1 @ loop.cell.weight_ih.T + loop.cell.bias_ih + loop.cell.bias_hh)
        np.testing.assert_allclose(expected[:, 0].numpy(), h1.numpy(), rtol=1e-6)
        np.testing.assert_allclose(fused(tokens).numpy(), expected.numpy(), atol=1e-6)
    assert expected.shape == (2, 5, 4)


def test_token_inputs_are_checked() -> None:
    with pytest.raises(SeqcastError, match=r"\['z'\]"):
        encode("hez", "helo")
    with pytest.raises(SeqcastError, match="5 inputs but 4 targets"):
        train_tokens(CellLoopRNN(4), [0, 1, 2, 2, 3], [3, 0, 2, 3], lr=0.1, epochs=1)
    with pytest.raises(SeqcastError, match="hidden size must equal"):
        TokenRNN(4, 8, head=False)


def test_unknown_preset_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(SeqcastError, match="sine-mlp, sine-lstm, hello"):
        run_preset("sine", tmp_path)


def test_benchmark_preset_cli_writes_figures_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hello"
    code, stdout, _ = run(["benchmark", "--preset", "hello", "--out", str(out)], capsys)
    assert code == 0, stdout
    assert "embedding_model_says: ohlol" in stdout
    saved = json.loads((out / "preset.json").read_text())
    assert saved["preset"] == "hello" and saved["figures"]["loop_equals_fused"] is True
    assert len(saved["tables"]["training"]) == 3
    assert "<table" in (out / "report.html").read_text()
    # An existing folder is never written into.
    code, _, stderr = run(["benchmark", "--preset", "hello", "--out", str(out)], capsys)
    assert code == 1 and "exists" in stderr
    code, _, stderr = run(["benchmark", "--preset", "nope", "--out", str(tmp_path / "x")], capsys)
    assert code == 1 and "unknown preset 'nope'" in stderr
    assert not (tmp_path / "x").exists()


@needs_ridership
def test_ridership_preset_runs_the_chosen_rungs(tmp_path: Path) -> None:
    """Mechanics on two rungs and three epochs; the ladder's figures are in benchmarks.md."""
    result = ridership(tmp_path, epochs=3, only=[1, 7])
    ladder = result.tables["ladder"]
    assert list(ladder.index) == ["linear on 56 lags", "14-ahead seq2seq RNN"]
    assert list(ladder["book MAE"]) == [37_866, 31_385]
    assert (ladder["epochs"] == 3).all() and ladder["parameters"].tolist() == [57, 1_710]
    mae = ladder["seqcast MAE"]
    assert (mae > 1_000).all() and (mae < 1_000_000).all()  # riders, not millions
    assert result.figures["best_one_step_mae"] == mae.iloc[0]  # the only one-step rung
    steps = result.tables["MAE per step ahead (riders)"]
    assert steps.shape == (14, 1) and list(steps.index) == list(range(1, 15))
    assert (tmp_path / "ridership_per_step.png").is_file()
    with pytest.raises(SeqcastError, match="rungs 1 to 19; there is no rung 20"):
        ridership(tmp_path, epochs=1, only=[20])
