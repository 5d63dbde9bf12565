"""Validation by forecasting (``train.valid_forecast``): a recursive model early-stops on
the errors of its own multi-step forecasts of the held-out steps, not on its one-step
outputs under teacher forcing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, create_model
from seqcast.data.panel import drop_last, from_series, iter_series
from seqcast.data.windows import Windows
from seqcast.models.neural_fit import hold_out
from seqcast.models.neural_forecast import forecast_origins


def panel(lengths: tuple[int, ...] = (60, 70, 80)) -> pd.DataFrame:
    """Hourly sines of period 6 around different levels, one series per length."""
    rng = np.random.default_rng(0)
    series = {}
    for i, n in enumerate(lengths):
        t = np.arange(n)
        y = 10 * (i + 1) + np.sin(2 * np.pi * t / 6) + 0.1 * rng.normal(size=n)
        index = pd.date_range("2020-01-01", periods=n, freq="h", name="time")
        series[f"s{i}"] = pd.DataFrame({"y": y}, index=index)
    return from_series(series)


def test_a_panel_forecasts_from_the_row_before_each_series_held_out_steps() -> None:
    values = np.arange(210, dtype=np.float32)[:, None]  # series of 60, 70 and 80 rows
    windows = Windows.over_series(values, values, np.array([60, 70, 80]), 24, 1)
    ends = np.cumsum([60, 70, 80])
    _, held = hold_out(windows, ends, fraction=0.2, steps=12, input_len=24, network_horizon=1)
    assert held is not None
    origins, n = forecast_origins(held, 12)
    assert n == 12 and origins.tolist() == [47, 117, 197]  # each series' row end - 13
    origins, n = forecast_origins(held, 5)  # every 5 rows while 5 held-out targets follow
    assert n == 5 and origins.tolist() == [47, 52, 117, 122, 197, 202]
    assert forecast_origins(held, 0) == (pytest.approx([47, 117, 197]), 12)


def test_one_series_forecasts_its_held_out_fifth_in_stretches() -> None:
    values = np.arange(80, dtype=np.float32)[:, None]
    windows = Windows.over(values, values, 12, 1)  # 68 windows
    _, held = hold_out(windows, None, fraction=0.2, steps=0, input_len=12, network_horizon=1)
    assert held is not None and len(held) == 14  # targets of rows 66 to 79
    origins, n = forecast_origins(held, 6)
    assert n == 6 and origins.tolist() == [65, 71]  # rows 66-71, 72-77
    origins, n = forecast_origins(held, 0)
    assert n == 14 and origins.tolist() == [65]


@pytest.mark.parametrize(
    ("loss_scale", "scaling"), [("none", "standard"), ("window", "standard"), ("none", "log")]
)
def test_the_score_is_the_error_of_predict_and_the_best_epoch_is_kept(
    loss_scale: str, scaling: str
) -> None:
    data = panel()
    train = {"epochs": 4, "patience": 10, "lr": 0.01, "batch_size": 16, "seed": 3}
    train |= {"valid_forecast": True, "valid_steps": 6, "loss_scale": loss_scale}
    model = create_model(
        "deepar", input_len=24, lags=(6,), norm="revin", scaling=scaling, train=train
    )
    model.fit(data, "y")
    history = model.trained_.history
    assert len(history.valid_mae) == 4
    assert history.valid_mae[history.best_epoch - 1] == min(history.valid_mae)
    before = drop_last(data, 6)
    forecast = model.predict(6, history=before)
    errors = []
    for (key, past), (_, actual) in zip(iter_series(before), iter_series(data), strict=True):
        error = forecast.loc[key, "y"].to_numpy() - actual["y"].to_numpy()[-6:]
        if scaling == "log":  # a logged target's errors are those of its logs
            error = np.log(forecast.loc[key, "y"].to_numpy() / actual["y"].to_numpy()[-6:])
        if loss_scale == "window":  # in units of the spread of the input window
            error = error / np.sqrt(past["y"].to_numpy()[-24:].var() + 1e-5)
        errors.append(error)
    # the kept weights forecast with the best epoch's validation error
    assert np.abs(errors).mean() == pytest.approx(min(history.valid_mae), rel=1e-4)
    assert np.square(errors).mean() == pytest.approx(
        history.valid_mse[history.best_epoch - 1], rel=1e-4
    )


def test_forecast_validation_is_refused_where_it_cannot_apply() -> None:
    with pytest.raises(SeqcastError, match="valid_forecast validates a recursive model"):
        create_model("lstm", strategy="direct", horizon=6, train={"valid_forecast": True})
    model = create_model("deepar", input_len=24, train={"epochs": 1, "valid_forecast": True})
    with pytest.raises(SeqcastError, match="set train.valid_steps to the horizon"):
        model.fit(panel(), "y")  # a recursive model's horizon is 1: one held-out step


def test_the_command_line_fits_with_forecast_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = panel().reset_index()
    data.to_csv(tmp_path / "p.csv", index=False)
    read = ["--csv", str(tmp_path / "p.csv"), "--id-column", "id", "--date-column", "time"]
    fit = ["fit", *read, "--target", "y", "--model", "deepar", "--no-progress"]
    fit += ["--set", "input_len=24", "--set", "train.epochs=2"]
    fit += ["--set", "train.valid_forecast=true"]
    code, _, err = run_cli([*fit, "--out", str(tmp_path / "none")], capsys)
    assert code != 0 and "set train.valid_steps to the horizon" in err
    steps = ["--set", "train.valid_steps=6"]
    assert run_cli([*fit, *steps, "--out", str(tmp_path / "m")], capsys)[0] == 0
    history = json.loads((tmp_path / "m" / "training.json").read_text())["history"]
    assert len(history["valid_mae"]) == 2 and history["best_epoch"] in (1, 2)
