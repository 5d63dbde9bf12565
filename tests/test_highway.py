"""The linear highway beside a recurrent network (LSTNet's autoregressive part)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seqcast import SeqcastError, create_model, load_model
from seqcast.networks.highway import Highway
from seqcast.networks.recurrent import Lagged, RecurrentNet


class _Zeros(nn.Module):
    """A network whose every output is 0: (B, L, C) -> (B, L, O)."""

    def __init__(self, outputs: int) -> None:
        super().__init__()
        self.outputs = outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], x.shape[1], self.outputs)


def test_the_highway_is_a_causal_linear_map_of_the_last_targets() -> None:
    """Weights that pick step t - 2 for output 0 and t for output 1 (window 3) give the
    target shifted by two (zeros before the start) and the target itself."""
    highway = Highway(_Zeros(2), window=3, num_targets=1, num_outputs=2)
    with torch.no_grad():
        highway.linear.weight.zero_()
        highway.linear.weight[0, 0, 0] = 1.0  # oldest of the three steps
        highway.linear.weight[1, 0, 2] = 1.0  # the current step
        highway.linear.bias[:] = torch.tensor([0.5, 0.0])
    x = torch.zeros(1, 6, 2)
    x[0, :, 0] = torch.arange(1.0, 7.0)  # the target: 1..6
    x[0, :, 1] = 100.0  # another channel, not the highway's
    out = highway(x)
    assert out.shape == (1, 6, 2)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([0.0, 0.0, 1, 2, 3, 4]) + 0.5)
    torch.testing.assert_close(out[0, :, 1], torch.arange(1.0, 7.0))


def test_an_untrained_highway_adds_nothing_and_steps_as_its_network() -> None:
    torch.manual_seed(0)
    net = RecurrentNet(2, 8, 3, cell="gru")
    highway = Highway(net, window=4, num_targets=1, num_outputs=3)
    x = torch.randn(2, 9, 2)
    torch.testing.assert_close(highway(x), net(x))
    assert getattr(highway, "steppable", False)
    bidirectional = RecurrentNet(2, 8, 3, cell="gru", bidirectional=True)
    assert not getattr(Highway(bidirectional, 4, 1, 3), "steppable", False)


def test_a_gru_with_a_highway_learns_the_wave_and_reloads(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {"input_len": 20, "highway": 20, "horizon": 5, "strategy": "direct"}
    model = create_model("gru", **settings, train={"epochs": 25, "lr": 0.01, "patience": 8})
    model.fit(wave.iloc[:260], "y")
    truth = wave["y"].iloc[260:265].to_numpy()
    forecast = model.predict(5)["y"].to_numpy()
    naive_error = np.abs(truth - wave["y"].iloc[259]).mean()
    assert np.abs(forecast - truth).mean() < 0.5 * naive_error
    model.save(tmp_path / "gru")
    reloaded = load_model(tmp_path / "gru").predict(5, history=wave.iloc[:260])
    np.testing.assert_allclose(reloaded["y"].to_numpy(), forecast)


def test_highway_bounds_and_deepar_s_highway_beside_its_lags() -> None:
    with pytest.raises(SeqcastError, match=r"highway must lie in 0\.\.input_len \(24\), got 25"):
        create_model("rnn", input_len=24, highway=25)
    with pytest.raises(SeqcastError, match=r"highway must lie in 0\.\.input_len \(48\), got 49"):
        create_model("deepar", input_len=48, highway=49)
    deepar = create_model("deepar", input_len=48, lags=(24,), highway=24)
    net = deepar.build(1, 1)
    assert isinstance(net, Highway) and isinstance(net.net, Lagged) and net.window == 24


def test_recurrent_panel_defaults_follow_the_season() -> None:
    hourly = create_model("lstm").defaults_for(24, 48, panel=True)
    assert (hourly["input_len"], hourly["hidden_size"], hourly["highway"]) == (48, 64, 24)
    yearly = create_model("gru").defaults_for(1, 6, panel=True)
    assert (yearly["input_len"], yearly["highway"]) == (24, 2)
    assert "highway" not in create_model("gru").defaults_for(24, 48)  # one series: as before
    assert "highway" not in create_model("deepar").defaults_for(24, 48, panel=True)
