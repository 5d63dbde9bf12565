"""ES-RNN: the Holt-Winters part against a hand-computed smoothing, the block recursion
against a step loop, calendar phases, dilated LSTMs, the penalty, learning a seasonal
panel, quantile outputs, refusals, and an interrupted fit that resumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_resume import assert_same_training, interrupted_and_resumed

from seqcast import SeqcastError, create_model, load_model
from seqcast.data.calendar import calendar_steps
from seqcast.networks.esrnn import DilatedLSTM, DilatedStack, HoltWinters


def smoothing(n_series: int, seasons: tuple[int, ...], alpha: float, gammas: list[float],
              initial: list[np.ndarray]) -> HoltWinters:  # fmt: skip
    """A HoltWinters whose every series has coefficients alpha, gammas and these initial
    seasonal indices (phase 0 first)."""
    hw = HoltWinters(n_series, seasons).double()
    with torch.no_grad():
        hw.level_logit.weight.fill_(float(np.log(alpha / (1 - alpha))))
        for j, g in enumerate(gammas):
            hw.season_logit.weight[:, j] = float(np.log(g / (1 - g)))
        for table, values in zip(hw.initial, initial, strict=True):
            table.weight.copy_(torch.log(torch.tensor(values)).expand_as(table.weight))
    return hw


def test_holt_winters_reproduces_a_hand_computed_smoothing() -> None:
    # season 3, a = 0.5, g = 0.5, initial indices (1.2, 0.8, 1.0); y = 12, 8, 10, 15, 9, 11
    y = torch.tensor([[12.0, 8.0, 10.0, 15.0, 9.0, 11.0]], dtype=torch.float64)
    hw = smoothing(1, (3,), 0.5, [0.5], [np.array([1.2, 0.8, 1.0])])
    levels, (indices,) = hw(y, torch.tensor([0]), torch.tensor([0]))
    # by hand: l0 = 12 / 1.2 = 10; s3 = .5 * 12 / 10 + .5 * 1.2 = 1.2
    # l1 = .5 * 8 / .8 + .5 * 10 = 10;    s4 = .5 * 8 / 10 + .5 * .8 = .8
    # l2 = .5 * 10 / 1 + .5 * 10 = 10;    s5 = .5 * 10 / 10 + .5 * 1 = 1
    # l3 = .5 * 15 / 1.2 + .5 * 10 = 11.25; s6 = .5 * 15 / 11.25 + .5 * 1.2 = 1.2666..
    # l4 = .5 * 9 / .8 + .5 * 11.25 = 11.25; s7 = .5 * 9 / 11.25 + .5 * .8 = .8
    # l5 = .5 * 11 / 1 + .5 * 11.25 = 11.125; s8 = .5 * 11 / 11.125 + .5 * 1 = .99438..
    expected_levels = [10, 10, 10, 11.25, 11.25, 11.125]
    expected_indices = [1.2, 0.8, 1.0, 1.2, 0.8, 1.0, 0.6 + 7.5 / 11.25, 0.8, 0.5 + 5.5 / 11.125]
    np.testing.assert_allclose(levels[0].detach().numpy(), expected_levels, rtol=1e-12)
    np.testing.assert_allclose(indices[0].detach().numpy(), expected_indices, rtol=1e-12)


def loop(y: np.ndarray, alpha: float, gammas: list[float], initial: list[np.ndarray],
         seasons: tuple[int, ...], phase: int) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
    """The same smoothing, one step at a time (the textbook recursion)."""
    s = [list(np.roll(init, -phase)) for init in initial]  # the window starts at `phase`
    levels: list[float] = []
    for t, value in enumerate(y):
        season = np.prod([si[t] for si in s])
        level = value / season if t == 0 else alpha * value / season + (1 - alpha) * levels[-1]
        levels.append(level)
        for j, g in enumerate(gammas):
            other = season / s[j][t]
            s[j].append(g * value / (level * other) + (1 - g) * s[j][t])
    return np.array(levels), [np.array(si) for si in s]


@pytest.mark.parametrize("seasons", [(), (4,), (4, 12)])
def test_the_block_recursion_is_the_step_recursion(seasons: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    y = rng.uniform(5, 15, 37)  # not a whole number of blocks
    initial = [rng.uniform(0.7, 1.3, m) for m in seasons]
    gammas = [0.3, 0.6][: len(seasons)]
    hw = smoothing(1, seasons, 0.35, gammas, initial)
    for phase in (0, 5):
        levels, indices = hw(torch.tensor(y)[None], torch.tensor([0]), torch.tensor([phase]))
        want_levels, want_indices = loop(y, 0.35, gammas, initial, seasons, phase)
        np.testing.assert_allclose(levels[0].detach().numpy(), want_levels, rtol=1e-10)
        for got, want in zip(indices, want_indices, strict=True):
            np.testing.assert_allclose(got[0].detach().numpy(), want, rtol=1e-10)


def test_calendar_steps_count_the_frequency_from_1970() -> None:
    hours = pd.date_range("2020-03-01 05:00", periods=30, freq="h")
    assert (calendar_steps(hours, hours.freq) % 24).tolist()[:3] == [5, 6, 7]
    months = pd.date_range("2019-11-01", periods=4, freq="MS")
    assert (calendar_steps(months, months.freq) % 12).tolist() == [10, 11, 0, 1]
    quarters = pd.date_range("2019-07-01", periods=3, freq="QS")
    assert (calendar_steps(quarters, quarters.freq) % 4).tolist() == [2, 3, 0]
    days = pd.date_range("2020-01-01", periods=3, freq="D")
    assert np.diff(calendar_steps(days, days.freq)).tolist() == [1, 1]


def test_a_dilated_lstm_runs_interleaved_chains() -> None:
    torch.manual_seed(0)
    layer = DilatedLSTM(2, 3, dilation=3)
    x = torch.randn(2, 10, 2)
    out = layer(x)
    assert out.shape == (2, 10, 3)
    # position 9 follows 6, 3, 0 only: the chain of residue 0 (after one front pad step)
    alone, _ = layer.lstm(x[:, [0, 3, 6, 9]])
    torch.testing.assert_close(out[:, 9], alone[:, -1])
    changed = x.clone()
    changed[:, 7:] += 1.0  # the future of step 6 changes; step 6 does not
    torch.testing.assert_close(layer(changed)[:, :7], out[:, :7])
    stack = DilatedStack(2, 3, (1, 2, 4, 8), block_layers=2)
    assert stack(x).shape == (2, 10, 3)


def seasonal_panel(n_series: int = 6, length: int = 240) -> pd.DataFrame:
    """Series of different sizes with one shared daily (24-step) multiplicative pattern and
    their own trends, noise 2 %."""
    rng = np.random.default_rng(0)
    t = np.arange(length)
    pattern = 1 + 0.3 * np.sin(2 * np.pi * t / 24)
    frames = {}
    for i in range(n_series):
        size = 10 ** rng.uniform(1, 3)
        trend = 1 + rng.uniform(-0.001, 0.002) * t
        y = size * trend * pattern * (1 + rng.normal(0, 0.02, length))
        frames[f"s{i}"] = pd.DataFrame(
            {"y": y}, index=pd.date_range("2021-01-01", periods=length, freq="h")
        )
    panel = pd.concat(frames, names=["id", "time"])
    panel.attrs["freq"] = "h"
    return panel


def test_esrnn_learns_a_seasonal_panel() -> None:
    panel = seasonal_panel()
    model = create_model(
        "esrnn", seasons=(24,), window=24, input_len=72, horizon=24, dilations=(1, 4),
        hidden_size=16, train={"epochs": 25, "lr": 1e-2, "seed": 0, "batch_size": 64},
    )  # fmt: skip
    train = panel.groupby(level="id").head(216)
    model.fit(train, "y")
    forecast = model.predict(24)["y"].to_numpy()
    actual = panel.groupby(level="id").tail(24)["y"].to_numpy()
    season_ago = train.groupby(level="id").tail(24)["y"].to_numpy()
    ours = np.mean(np.abs(forecast - actual) / actual)
    snaive = np.mean(np.abs(season_ago - actual) / actual)
    assert ours < 0.04  # the noise alone is 2 %
    assert ours < snaive  # the trends move every series away from last day's values
    assert model.trained_.history.best_epoch > 1


def test_the_level_penalty_is_added_in_training_only() -> None:
    panel = seasonal_panel(2, 120)
    model = create_model(
        "esrnn", seasons=(24,), window=24, input_len=48, horizon=12, dilations=(1, 2),
        level_penalty=40.0, train={"epochs": 1},
    ).fit(panel, "y")  # fmt: skip
    net = model.trained_.module
    windows = model.windows(panel)
    x, _ = windows.batch(np.arange(4))
    net.train()
    net(torch.from_numpy(x))
    assert net.penalty is not None and net.penalty.item() > 0
    net.eval()
    net(torch.from_numpy(x))
    assert net.penalty is None


def test_quantile_outputs_give_ordered_intervals() -> None:
    panel = seasonal_panel(3, 160)
    model = create_model(
        "esrnn", seasons=(24,), window=24, input_len=48, horizon=12, dilations=(1, 2),
        train={"epochs": 3, "loss": "quantile", "quantiles": (0.025, 0.5, 0.975)},
    ).fit(panel, "y")  # fmt: skip
    bounds = model.predict_interval(12, [95])
    assert (bounds["y_lo_95"] <= bounds["y"]).all() and (bounds["y"] <= bounds["y_hi_95"]).all()
    assert (bounds["y_lo_95"] > 0).all()  # exp keeps them above 0


def test_values_at_or_below_zero_are_shifted_or_refused(daily: pd.DataFrame) -> None:
    # daily's a = 0..59 holds a 0
    shifted = create_model("esrnn", input_len=8, train={"epochs": 2}).fit(daily, "a")
    assert shifted.trained_.channels.shift[0] < 0
    assert np.isfinite(shifted.predict(3).to_numpy()).all()
    with pytest.raises(SeqcastError, match=r"column 'a' is 0 on 2020-01-01.*scaling=positive"):
        create_model("esrnn", input_len=8, scaling="none").fit(daily, "a")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"strategy": "recursive", "horizon": 1}, "strategy must be direct"),
        ({"window": 40}, r"window \(40\) must fit in input_len \(32\)"),
        ({"seasons": (24, 36)}, "second season must be a multiple"),
        ({"seasons": (1,)}, "at least 2 steps"),
        ({"dilations": ()}, "dilations must be one or more"),
        ({"covariates": ("z",)}, "reads its targets alone"),
        ({"norm": "revin"}, "norm must be none"),
        ({"id_embedding": 4}, "own smoothing"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(SeqcastError, match=message):
        create_model("esrnn", **settings)


def test_defaults_follow_the_paper_per_frequency() -> None:
    from seqcast.models.esrnn import ESRNN

    hourly = ESRNN.defaults_for(24, 48, panel=True)
    assert hourly["seasons"] == (24, 168) and hourly["dilations"] == (1, 4, 24, 168)
    assert hourly["input_len"] == 23 + 2 * 168
    assert hourly["train"]["average_epochs"] == 5  # on a panel; one series keeps the best
    assert "average_epochs" not in ESRNN.defaults_for(24, 48)["train"]
    assert hourly["ensemble"] == 2 and "ensemble" not in ESRNN.defaults_for(24, 48)
    monthly = ESRNN.defaults_for(12, 18)
    assert monthly["window"] == 12 and monthly["input_len"] == 11 + 4 * 18
    weekly = ESRNN.defaults_for(52, 13)
    assert weekly["seasons"] == (52,) and weekly["dilations"] == (1, 2, 52, 104)
    create_model("esrnn", **hourly)  # every default is a valid setting


def test_an_interrupted_esrnn_fit_resumes_and_its_checkpoint_loads(tmp_path: Path) -> None:
    frame = seasonal_panel(1, 200).droplevel("id")
    frame.index.freq = "h"
    settings = {
        "seasons": (24,), "window": 24, "input_len": 48, "horizon": 6, "dilations": (1, 2),
        "train": {"epochs": 4, "seed": 3, "patience": 100, "batch_size": 32},
    }  # fmt: skip
    path = tmp_path / "interrupted.pt"
    whole, resumed = interrupted_and_resumed("esrnn", settings, frame, path, 2)
    assert_same_training(resumed, whole)
    saved = tmp_path / "esrnn.pt"
    whole.save(saved)
    again = load_model(saved, device="cpu")
    pd.testing.assert_frame_equal(again.predict(6, history=frame), whole.predict(6))


def test_initial_indices_start_from_each_series_seasonal_pattern() -> None:
    # a series whose day (24 steps) alternates 1 and 4 every 12 hours, busier on 2 days of 7
    from seqcast.models.channels import Channels
    from seqcast.models.esrnn import seasonal_profiles

    index = pd.date_range("2020-01-06", periods=24 * 7 * 4, freq="h")  # a Monday, 00:00
    hours, days = np.asarray(index.hour), np.asarray(index.day_of_week)
    y = np.where(hours < 12, 1.0, 4.0) * np.where(days < 2, 3.0, 1.0)
    frame = pd.DataFrame({"y": y}, index=index)
    channels = Channels.learn(frame, ["y"], (), (), "none", numbered=False, phase_period=168)
    daily, weekly = seasonal_profiles(frame, channels, (24, 168))
    assert daily.shape == (1, 24) and weekly.shape == (1, 168)
    phase = int(calendar_steps(index[:1], index.freq)[0] % 168)  # the calendar phase of row 0
    by_hour = np.roll(np.exp(daily[0]), -(phase % 24))  # row 0's hour first
    np.testing.assert_allclose(by_hour[12] / by_hour[0], 4.0, rtol=1e-9)
    by_day = np.roll(np.exp(weekly[0]), -phase).reshape(7, 24).mean(axis=1)
    np.testing.assert_allclose(by_day[0] / by_day[3], 3.0, rtol=1e-9)
