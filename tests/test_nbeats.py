"""N-BEATS: shapes, bases, the interpretable stacks' split of trend and season, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_resume import assert_same_training, interrupted_and_resumed

from seqcast import SeqcastError, create_model, load_model
from seqcast.networks.nbeats import NBeatsNet, seasonality_basis, trend_basis


def test_shapes_and_the_parts_add_up_to_the_forecast() -> None:
    torch.manual_seed(0)
    x = torch.randn(5, 16, 3)  # two targets and one exogenous channel
    for stack, params in (("generic", 2), ("interpretable", 1)):
        net = NBeatsNet(16, 8, 3, 2, stack=stack, blocks=2, layers=2, hidden_size=32, params=params)
        out = net(x)
        assert out.shape == (5, 1, 8 * params * 2)
        parts = net.parts(x)
        total = sum(parts.values())
        # (B, K, H·P) reordered as the output's step, parameter, channel
        expected = total.reshape(5, 2, 8, params).permute(0, 2, 3, 1).reshape(5, 1, -1)
        torch.testing.assert_close(out, expected)
    assert list(net.parts(x)) == ["trend", "seasonality"]


def test_the_season_s_harmonics_hold_no_trend() -> None:
    past, ahead = seasonality_basis(24, 12, season=6)  # periods 6, 3 and 2 steps
    assert past.shape == (6, 24) and ahead.shape == (6, 12)
    torch.testing.assert_close(
        ahead[0], torch.cos(2 * torch.pi * torch.arange(12) / 6.0), atol=1e-6, rtol=0
    )
    assert past.reshape(6, 4, 6).sum(-1).abs().max() < 1e-4  # zero over every season


def test_the_bases_continue_across_the_origin() -> None:
    past, ahead = trend_basis(6, 4, degree=2)
    assert past.shape == (3, 6) and ahead.shape == (3, 4)
    torch.testing.assert_close(past[1], torch.arange(-6, 0) / 4.0)  # τ in horizons
    torch.testing.assert_close(ahead[2], (torch.arange(4) / 4.0) ** 2)
    past, ahead = seasonality_basis(8, 4)  # harmonics 1 and 2: periods 4 and 2 steps
    assert past.shape == (4, 8) and ahead.shape == (4, 4)
    whole = torch.cat([past, ahead], dim=1)  # one cosine wave of period 4 through both
    torch.testing.assert_close(
        whole[0], torch.cos(2 * torch.pi * torch.arange(-8, 4) / 4.0), atol=1e-6, rtol=0
    )


def test_the_interpretable_stacks_split_trend_and_season() -> None:
    t = np.arange(600, dtype=float)
    data = pd.DataFrame(
        {"y": 10 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 12)},
        index=pd.date_range("2024-01-01", periods=600, freq="h"),
    )
    model = create_model(
        "nbeats",
        stack="interpretable",
        season=12,
        degree=2,
        input_len=48,
        horizon=24,
        strategy="direct",
        scaling="none",
        norm="none",  # the parts in the data's units
        layers=2,
        hidden_size=64,
        train={"epochs": 80, "lr": 3e-3, "patience": 80, "seed": 1},
    ).fit(data.iloc[:576], "y")
    window = torch.tensor(data["y"].to_numpy()[528:576], dtype=torch.float32)[None, :, None]
    with torch.no_grad():
        parts = {k: v[0, 0].numpy() for k, v in model.trained_.module.parts(window).items()}
    steps = np.arange(576, 600)
    true_trend, true_season = 10 + 0.05 * steps, 2 * np.sin(2 * np.pi * steps / 12)
    assert np.polyfit(steps, parts["trend"], 1)[0] == pytest.approx(0.05, rel=0.2)
    assert np.abs(parts["trend"] - true_trend).mean() < 0.2
    assert np.corrcoef(parts["seasonality"], true_season)[0, 1] > 0.99
    assert np.abs(parts["seasonality"] - true_season).mean() < 0.2
    forecast = model.predict(24)["y"].to_numpy()
    assert np.abs(forecast - (true_trend + true_season)).mean() < 0.2


def test_nbeats_refusals() -> None:
    with pytest.raises(SeqcastError, match="interpretable stacks forecast a point"):
        create_model("nbeats", stack="interpretable", strategy="direct", train={"loss": "normal"})
    with pytest.raises(
        SeqcastError, match="parameter 'stack' must be 'generic' or 'interpretable'"
    ):
        create_model("nbeats", stack="seasonal")
    with pytest.raises(SeqcastError, match="degree and season must be 0 or more"):
        create_model("nbeats", degree=-1)
    with pytest.raises(SeqcastError, match="blocks must be at least 1"):
        create_model("nbeats", blocks=0)


def test_an_interrupted_nbeats_resumes_to_the_same_weights(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {
        "input_len": 20,
        "horizon": 5,
        "strategy": "direct",
        "hidden_size": 32,
        "train": {"epochs": 5, "seed": 2, "patience": 100, "batch_size": 64},
    }
    path = tmp_path / "interrupted.pt"
    whole, resumed = interrupted_and_resumed("nbeats", settings, wave, path, 2)
    assert load_model(path).trained_.history.epochs == 2
    assert_same_training(resumed, whole)
