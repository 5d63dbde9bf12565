"""DeepAR: teacher forcing, lagged inputs, a learned AR(1) with Student-t noise, sampled
paths, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_resume import assert_same_training, interrupted_and_resumed

from seqcast import SeqcastError, create_model, load_model
from seqcast.networks.recurrent import Lagged


def ar1(n: int = 4000, phi: float = 0.7, scale: float = 1.0, df: float = 5.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    noise = scale * rng.standard_t(df, n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + noise[t]
    return pd.DataFrame({"y": y}, index=pd.date_range("2020-01-01", periods=n, freq="h"))


def test_deepar_learns_an_ar1_with_student_t_noise() -> None:
    data = ar1()
    model = create_model(
        "deepar",
        input_len=16,
        hidden_size=16,
        num_layers=1,
        norm="none",  # the distribution's parameters in the data's units
        scaling="none",
        train={"epochs": 15, "lr": 3e-3, "batch_size": 64, "seed": 0},
    ).fit(data.iloc[:3500], "y")
    windows = model.windows(data.iloc[3000:])
    x, _ = windows.batch(np.arange(len(windows)))
    with torch.no_grad():
        loc, scale, _ = model.trained_.module(torch.from_numpy(x))[:, -1].numpy().T
    assert np.polyfit(x[:, -1, 0], loc, 1)[0] == pytest.approx(0.7, rel=0.1)
    assert np.median(scale) == pytest.approx(1.0, rel=0.1)
    bounds = model.predict_interval(3, [95])
    assert (bounds["y_lo_95"] < bounds["y"]).all() and (bounds["y"] < bounds["y_hi_95"]).all()


def test_teacher_forcing_scores_the_window_s_second_half() -> None:
    model = create_model("deepar", input_len=10, train={"epochs": 1})
    assert model.train.loss == "student_t" and model.strategy == "recursive"
    assert model.scored_steps() == [5, 6, 7, 8, 9]
    data = ar1(200)
    model.fit(data, "y")
    windows = model.windows(data)
    _, y = windows.batch(np.array([0]))
    assert y.shape == (1, 5, 1, 1)  # five scored steps, one value ahead each
    assert y[0, :, 0, 0].tolist() == windows.values[6:11, 0].tolist()  # rows 5..9, each next


@pytest.mark.parametrize("norm", ["mean", "revin"])
def test_a_scored_step_sees_nothing_of_the_values_it_predicts(norm: str) -> None:
    # Teacher forcing scores rows 5..9 of a window of 10, each against the next row: the
    # window's normalisation must come from rows 0..5 alone, or the statistics of rows
    # 6..9 would tell the network where the values it predicts lie.
    model = create_model("deepar", input_len=10, norm=norm, train={"epochs": 1})
    assert model.norm_rows() == 6
    model.fit(ar1(200) + 5.0, "y")
    module = model.trained_.module.eval()
    x = torch.from_numpy(model.windows(ar1(200) + 5.0).batch(np.array([3]))[0])
    later = x.clone()
    later[:, 7:, 0] *= 3.0  # the values rows 6..8 predict, and row 9
    with torch.no_grad():
        before, after = module(x), module(later)
    assert before.shape == (1, 10, 3)  # loc, scale, df at every row
    torch.testing.assert_close(before[:, :7], after[:, :7])  # rows 0..6 never read rows 7..9
    assert not torch.allclose(before[:, 7:], after[:, 7:])


def test_lagged_inputs_reach_back_inside_the_window() -> None:
    seen = {}

    def capture(x: torch.Tensor) -> torch.Tensor:
        seen["x"] = x
        return x

    net = Lagged(capture, (2,), 1)  # type: ignore[arg-type]
    x = torch.arange(10.0).reshape(1, 5, 2)  # target channel 0, 2, 4, 6, 8
    net(x)
    assert seen["x"].shape == (1, 5, 3)
    # row t predicts t + 1; lag 2 is the value at t - 1 (the paper's count)
    assert seen["x"][0, :, 2].tolist() == [0.0, 0.0, 2.0, 4.0, 6.0]
    defaults = create_model("deepar").defaults_for(24, 48, panel=True)
    assert defaults["lags"] == (24,) and defaults["train"]["loss"] == "student_t"
    assert defaults["norm"] == "revin" and defaults["scaling"] == "log_or_standard"
    assert defaults["log_offset"] == 0.1  # logs of y + a tenth of each series' mean
    assert defaults["train"]["epochs"] == 25 and defaults["train"]["lr_schedule"] == "cosine"
    assert defaults["train"]["valid_fraction"] == 0.0  # the last epoch's weights
    assert "norm" not in create_model("deepar").defaults_for(24, 48)  # a series: mean
    panel_model = create_model("deepar", **defaults)
    assert panel_model.norm == "revin" and panel_model.train.loss == "student_t"
    with pytest.raises(SeqcastError, match="set scaling=log or log_or_standard, or log_offset=0"):
        create_model("deepar", **{**defaults, "scaling": "none"})
    counts = {**defaults, "scaling": "none", "log_offset": 0.0}
    counts["train"] = {**defaults["train"], "loss": "negbin"}
    with pytest.raises(SeqcastError, match="negbin .* set scaling=none and norm=mean"):
        create_model("deepar", **counts)  # RevIN shifts values: a count loss says so
    with pytest.raises(SeqcastError, match=r"lags must lie in 2..input_len \(10\), got 11"):
        create_model("deepar", input_len=10, lags=(11,))
    with pytest.raises(SeqcastError, match=r"got 1 \(lag 1, the previous value, is always read"):
        create_model("deepar", input_len=10, lags=(1,))


def test_an_interrupted_deepar_resumes_to_the_same_weights(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {
        "input_len": 12,
        "lags": (5,),
        "recurrent_dropout": 0.1,
        "train": {"epochs": 4, "seed": 3, "patience": 100, "batch_size": 64},
    }
    path = tmp_path / "interrupted.pt"
    whole, resumed = interrupted_and_resumed("deepar", settings, wave, path, 2)
    assert_same_training(resumed, whole)


def hourly_spikes(n: int = 1500) -> pd.DataFrame:
    """1 at midnight, 0 at every other hour, plus N(0, 0.05^2) noise."""
    index = pd.date_range("2021-03-01", periods=n, freq="h")
    noise = np.random.default_rng(0).normal(0, 0.05, n)
    return pd.DataFrame({"y": (index.hour == 0) + noise}, index=index)


def test_the_calendar_tells_an_hour_of_the_day_that_the_window_cannot() -> None:
    # An 8-hour window never holds the last midnight: only the hour's one-hot says when
    # the next spike comes.
    data = hourly_spikes()
    settings = {"input_len": 8, "hidden_size": 16, "num_layers": 1, "norm": "none"}
    train = {"epochs": 12, "lr": 1e-2, "batch_size": 64, "seed": 0}
    model = create_model("deepar", **settings, calendar=24, scaling="none", train=train)
    forecast = model.fit(data.iloc[:-30], "y").predict(30)["y"]  # 06:00 on: one midnight
    midnight = forecast.index.hour == 0
    assert forecast[midnight].min() > 0.7 and forecast[~midnight].abs().max() < 0.3
    blind = create_model("deepar", **settings, scaling="none", train=train)
    guess = blind.fit(data.iloc[:-30], "y").predict(30)["y"]
    assert guess[midnight].min() < 0.5  # without the calendar it cannot place the spike


def test_the_calendar_counts_on_past_the_last_row(tmp_path: Path) -> None:
    data = hourly_spikes(300)
    model = create_model("deepar", input_len=12, calendar=24, lags=(3,), train={"epochs": 1}).fit(
        data.iloc[:-5], "y"
    )
    seen: list[torch.Tensor] = []
    lstm = model.trained_.module.net.net.net.fused  # norm, phase, lags, recurrent net
    lstm.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model.predict(6)
    hours = [int(x[0, -1, 1:25].argmax()) for x in seen]  # the predicted step's hour
    last = data.index[-6].hour
    assert seen[0].shape == (1, 12, 1 + 24 + 1) and len(seen) == 6
    assert hours == [(last + 1 + h) % 24 for h in range(6)]
    model.save(tmp_path / "calendar")
    reloaded = load_model(tmp_path / "calendar")
    assert reloaded.trained_.channels.phase == model.trained_.channels.phase == (1, 24)
    history = data.iloc[:-5]
    pd.testing.assert_frame_equal(reloaded.predict(6, history=history), model.predict(6))
    for bad in (1, -24):
        with pytest.raises(SeqcastError, match=f"calendar must be 0 .* got {bad}"):
            create_model("deepar", calendar=bad)
