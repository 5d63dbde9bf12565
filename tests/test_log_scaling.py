"""``scaling=log``: a neural model learns and forecasts the logs of its targets; its point
forecasts, sample paths and quantiles come back through exp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, create_model, load_model
from seqcast.data.panel import from_series
from seqcast.models.channels import Channels, refuse_non_positive


def growing(n: int = 200, rate: float = 0.02) -> pd.DataFrame:
    """Hourly values growing by ``rate`` a step with a multiplicative daily cycle: their
    logs are a line plus a sine."""
    t = np.arange(n, dtype=float)
    y = 5 * np.exp(rate * t + 0.3 * np.sin(2 * np.pi * t / 24))
    index = pd.date_range("2024-01-01", periods=n, freq="h", name="time")
    return pd.DataFrame({"y": y, "x": np.cos(t)}, index=index)


def test_the_logged_targets_enter_as_standardised_logs_and_come_back() -> None:
    data = growing()
    channels = Channels.learn(data, ["y", "x"], (), (), "standard", False, logged=1)
    logs = np.log(data["y"].to_numpy())
    assert channels.shift[0] == pytest.approx(logs.mean())
    assert channels.scale[0] == pytest.approx(logs.std())
    features = channels.features(data)
    np.testing.assert_allclose(features[:, 0], (logs - logs.mean()) / logs.std())
    x = data["x"].to_numpy()  # a covariate is not logged
    np.testing.assert_allclose(features[:, 1], (x - x.mean()) / x.std())
    values = np.array([[[1.5, -2.0], [0.1, 3.0]]])  # (1, 2, K=2)
    back = channels.from_logs(values)
    np.testing.assert_allclose(back, [[[np.exp(1.5), -2.0], [np.exp(0.1), 3.0]]])
    np.testing.assert_allclose(channels.to_logs(back), values)
    along = channels.from_logs(np.moveaxis(values, -1, 1), axis=1)  # K on another axis
    np.testing.assert_allclose(np.moveaxis(along, 1, -1), back)
    assert Channels.from_dict(channels.to_dict()).logged == 1


def test_a_linear_network_on_logs_extrapolates_exponential_growth() -> None:
    # The logs of the next 24 values are a linear map of the last 48 logs (a line plus a
    # daily sine): a linear network fits them, and its forecasts come back as values.
    data = growing(260)
    train = {"epochs": 300, "lr": 0.01, "patience": 300, "valid_fraction": 0.0, "seed": 0}
    model = create_model(
        "linear", input_len=48, strategy="direct", horizon=24, scaling="log", train=train
    ).fit(data.iloc[:-24], "y")
    truth = data["y"].to_numpy()[-24:]  # 5 e^(0.02 t + 0.3 sin(2 pi t / 24)), t = 236..259
    forecast = model.predict(24)["y"].to_numpy()
    np.testing.assert_allclose(forecast, truth, rtol=0.02)


def test_intervals_of_a_logged_deepar_stay_above_zero_around_its_forecast() -> None:
    rng = np.random.default_rng(0)
    series = {}
    for i in range(3):  # values near 0 whose swings are a share of their level
        t = np.arange(150, dtype=float)
        y = (1 + i) * 0.05 * np.exp(0.5 * np.sin(2 * np.pi * t / 12) + 0.1 * rng.normal(size=150))
        index = pd.date_range("2024-01-01", periods=150, freq="h", name="time")
        series[f"s{i}"] = pd.DataFrame({"y": y}, index=index)
    panel = from_series(series)
    train = {"epochs": 3, "batch_size": 32, "seed": 1}
    model = create_model("deepar", input_len=24, lags=(12,), scaling="log", train=train)
    bounds = model.fit(panel, "y").predict_interval(12, levels=(80, 95))
    assert bounds.shape == (36, 5)
    assert (bounds["y_lo_95"] > 0).all()
    assert (bounds["y_lo_95"] <= bounds["y_lo_80"]).all()
    assert (bounds["y_lo_80"] <= bounds["y"]).all() and (bounds["y"] <= bounds["y_hi_80"]).all()
    assert (bounds["y_hi_80"] <= bounds["y_hi_95"]).all()


def test_values_at_or_below_zero_are_refused_by_name() -> None:
    data = growing(100)
    data.iloc[40, 0] = 0.0
    model = create_model("mlp", input_len=24, scaling="log", train={"epochs": 1})
    with pytest.raises(SeqcastError, match=r"column 'y' is 0 on 2024-01-02 16:00:00.*scaling"):
        model.fit(data, "y")
    fitted = model.fit(growing(100), "y")
    later = growing(120)
    later.iloc[110, 0] = -1.0
    with pytest.raises(SeqcastError, match=r"column 'y' is -1 on 2024-01-05 14:00:00"):
        fitted.predict(3, history=later)
    series = {"a": growing(80), "b": growing(80)}
    series["b"].iloc[5, 0] = 0.0
    with pytest.raises(SeqcastError, match=r"series 'b', column 'y' is 0 on 2024-01-01 05:00"):
        create_model("mlp", input_len=24, scaling="log").fit(from_series(series), "y")
    with pytest.raises(
        SeqcastError, match="'scaling' must be one of .*'log_or_standard', got 'exp'"
    ):
        create_model("mlp", scaling="exp")


def test_the_refusal_names_the_first_low_series_then_column_then_date() -> None:
    series = {key: growing(30)[["y", "x"]].assign(x=1.0) for key in ("a", "b", "c")}
    series["b"].iloc[20, 0] = -1.0  # y low later than x in the same series
    series["b"].iloc[7, 1] = -2.0
    series["c"].iloc[0, 0] = -5.0
    panel = from_series(series)
    with pytest.raises(SeqcastError, match=r"^series 'b', column 'y' is -1 on 2024-01-01 20:00"):
        refuse_non_positive(panel, ["y", "x"], "why")
    with pytest.raises(SeqcastError, match=r"^series 'b', column 'x' is -2 on 2024-01-01 07:00"):
        refuse_non_positive(panel, ["x"], "why")
    lifted = {"b": np.array([0.5, 3.0])}  # x's -2 lies above -3; y's -1 not above -0.5
    with pytest.raises(SeqcastError, match=r"'b', column 'y' is -1 \(at or below -0.5, log"):
        refuse_non_positive(panel, ["y", "x"], "why", offsets=lifted)
    lifted["b"] = np.array([2.0, 3.0])
    with pytest.raises(SeqcastError, match=r"^series 'c', column 'y' is -5 on 2024-01-01 00:00"):
        refuse_non_positive(panel, ["y", "x"], "why", offsets=lifted)
    refuse_non_positive(growing(30), ["y"], "why", key="one")  # all above 0: no error


def test_log_or_standard_takes_logs_of_positive_data_alone(tmp_path: Path) -> None:
    positive, with_zero = growing(100), growing(100)
    with_zero.iloc[10, 0] = 0.0
    settings = {"input_len": 24, "scaling": "log_or_standard", "train": {"epochs": 1}}
    logged = create_model("mlp", **settings).fit(positive, "y")
    assert logged.trained_.channels.logged == 1
    plain = create_model("mlp", **settings).fit(with_zero, "y")
    assert plain.trained_.channels.logged == 0  # standard scaling: the 0 is a value
    assert plain.trained_.channels.scale[0] == pytest.approx(with_zero["y"].std(ddof=0))
    logged.save(tmp_path / "logged")
    reloaded = load_model(tmp_path / "logged")
    assert reloaded.trained_.channels.logged == 1
    pd.testing.assert_frame_equal(reloaded.predict(5, history=positive), logged.predict(5))


def test_the_command_line_fits_on_logs_and_forecasts_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = growing(120)
    data.to_csv(tmp_path / "g.csv", index_label="time")
    read = ["--csv", str(tmp_path / "g.csv"), "--date-column", "time"]
    fit = ["fit", *read, "--target", "y", "--model", "mlp", "--no-progress"]
    fit += ["--set", "input_len=24", "--set", "train.epochs=3", "--set", "scaling=log"]
    fit += ["--set", "train.lr_schedule=cosine"]
    assert run_cli([*fit, "--out", str(tmp_path / "m")], capsys)[0] == 0
    reloaded = load_model(tmp_path / "m" / "model.pt")
    assert reloaded.scaling == "log" and reloaded.trained_.channels.logged == 1
    assert reloaded.train.lr_schedule == "cosine"
    forecast = reloaded.predict(4, history=data[["y"]])
    assert forecast.shape == (4, 1) and (forecast["y"] > 0).all()
    bad = data.copy()
    bad.iloc[3, 0] = -2.0
    bad.to_csv(tmp_path / "bad.csv", index_label="time")
    fit[2] = str(tmp_path / "bad.csv")
    code, _, err = run_cli([*fit, "--out", str(tmp_path / "bad")], capsys)
    assert code != 0 and "column 'y' is -2 on 2024-01-01 03:00:00" in err
    assert not (tmp_path / "bad").exists()  # nothing written for a refused fit


def spiky_panel(n: int = 150) -> pd.DataFrame:
    """Two hourly series near 0 at night and high by day, one with zeros: shifted logs'
    case."""
    t = np.arange(n, dtype=float)
    day = np.clip(np.sin(2 * np.pi * t / 12), 0, None)
    index = pd.date_range("2024-01-01", periods=n, freq="h", name="time")
    return from_series(
        {
            "a": pd.DataFrame({"y": 0.2 + 40 * day}, index=index),
            "b": pd.DataFrame({"y": 100 * day}, index=index),  # zeros at night
        }
    )


def test_a_log_offset_shifts_each_series_by_a_share_of_its_own_mean() -> None:
    panel = spiky_panel()
    channels = Channels.learn(panel, ["y"], (), (), "none", False, logged=1, log_offset=0.1)
    means = panel.groupby(level=0)["y"].mean()
    assert channels.offset_ids == ["a", "b"]
    np.testing.assert_allclose(channels.offsets[:, 0], 0.1 * means.to_numpy())
    for key, frame in panel.groupby(level=0):
        got = channels.features(frame.droplevel(0), key)[:, 0]
        np.testing.assert_allclose(got, np.log(frame["y"].to_numpy() + 0.1 * means[key]))
    logs = np.array([[[0.5], [1.0]], [[2.0], [3.0]]])  # (O=2, n=2, K=1): an origin of each
    offsets = channels.offsets  # (2, 1)
    back = channels.from_logs(logs, offsets=offsets)
    np.testing.assert_allclose(back[0, :, 0], np.exp([0.5, 1.0]) - 0.1 * means["a"])
    np.testing.assert_allclose(back[1, :, 0], np.exp([2.0, 3.0]) - 0.1 * means["b"])
    paths = np.repeat(logs[:, None], 4, axis=1)  # (O, S=4, n, K): the same per path
    np.testing.assert_allclose(channels.from_logs(paths, offsets=offsets)[:, 2], back)
    restored = Channels.from_dict(channels.to_dict())
    assert restored.offset_ids == ["a", "b"] and restored.log_offset == 0.1
    np.testing.assert_allclose(restored.offsets, channels.offsets)
    new = spiky_panel().xs("a", level=0) * 3  # a series unseen in training: its own mean
    np.testing.assert_allclose(restored.offset_of(new, "c"), [0.3 * means["a"]])


def test_shifted_logs_forecast_as_plain_logs_of_the_shifted_series(tmp_path: Path) -> None:
    # deepar with log_offset on a panel sees exactly what plain logs see of each series
    # shifted up by its c: the same seed gives the same network, and its forecasts, paths'
    # bounds included, are the shifted model's less c.
    panel = spiky_panel()
    c = 0.5 * panel.groupby(level=0)["y"].mean()
    lifted = panel.assign(y=panel["y"] + c.reindex(panel.index.get_level_values(0)).to_numpy())
    train = {"epochs": 2, "batch_size": 32, "seed": 3}
    settings = {"input_len": 24, "lags": (12,), "scaling": "log", "train": train}
    shifted = create_model("deepar", log_offset=0.5, **settings).fit(panel, "y")
    plain = create_model("deepar", **settings).fit(lifted, "y")
    got = shifted.predict_interval(6, levels=(90,))
    want = plain.predict_interval(6, levels=(90,))
    lift = c.reindex(got.index.get_level_values(0)).to_numpy()[:, None]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy() - lift, rtol=1e-6, atol=1e-6)
    assert (got["y_lo_90"] > -lift[:, 0]).all()  # above -c: exp(.) > 0
    shifted.save(tmp_path / "shifted")
    reloaded = load_model(tmp_path / "shifted")
    pd.testing.assert_frame_equal(reloaded.predict(6, history=panel), shifted.predict(6))


def test_log_offset_admits_zeros_and_refuses_what_it_cannot_shift() -> None:
    panel = spiky_panel()
    settings = {"input_len": 24, "train": {"epochs": 1}}
    with pytest.raises(SeqcastError, match=r"series 'b', column 'y' is 0 on"):
        create_model("mlp", scaling="log", **settings).fit(panel, "y")
    either = create_model("mlp", scaling="log_or_standard", log_offset=0.1, **settings)
    assert either.fit(panel, "y").trained_.channels.logged == 1  # zeros lie above -c
    plain = create_model("mlp", scaling="log_or_standard", **settings).fit(panel, "y")
    assert plain.trained_.channels.logged == 0  # zeros: standard scaling without a shift
    low = panel.copy()
    low.iloc[3, 0] = -50.0  # series a's c is 0.1 x its mean, about 1.3
    with pytest.raises(SeqcastError, match=r"series 'a', column 'y' is -50 \(at or below -1"):
        create_model("mlp", scaling="log", log_offset=0.1, **settings).fit(low, "y")
    negative = panel.assign(y=-panel["y"] - 1)
    with pytest.raises(SeqcastError, match=r"series 'a', column 'y' has a mean of -1.*above 0"):
        create_model("mlp", scaling="log", log_offset=0.1, **settings).fit(negative, "y")
    with pytest.raises(SeqcastError, match="log_offset must be 0 or more, got -0.1"):
        create_model("mlp", scaling="log", log_offset=-0.1)
    with pytest.raises(SeqcastError, match="log_offset shifts the targets before their logs"):
        create_model("mlp", log_offset=0.1)


def test_the_command_line_fits_shifted_logs_on_data_with_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = spiky_panel().xs("b", level=0)  # zeros every night
    data.to_csv(tmp_path / "b.csv", index_label="time")
    fit = ["fit", "--csv", str(tmp_path / "b.csv"), "--date-column", "time", "--target", "y"]
    fit += ["--model", "mlp", "--no-progress", "--set", "input_len=24", "--set", "scaling=log"]
    fit += ["--set", "log_offset=0.1", "--set", "train.epochs=2"]
    assert run_cli([*fit, "--out", str(tmp_path / "m")], capsys)[0] == 0
    reloaded = load_model(tmp_path / "m" / "model.pt")
    assert reloaded.log_offset == 0.1
    np.testing.assert_allclose(reloaded.trained_.channels.offsets, [[0.1 * data["y"].mean()]])
    forecast = reloaded.predict(4, history=data)
    assert forecast.shape == (4, 1) and (forecast["y"] > -0.1 * data["y"].mean()).all()
