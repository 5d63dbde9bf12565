"""Global neural models: one network trained on every series of a panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqcast import SeqcastError, create_model, load_model
from seqcast.data.panel import from_series, iter_series, prepare_panel
from seqcast.data.windows import Windows
from seqcast.models.neural import NeuralForecaster
from seqcast.models.neural_fit import hold_out
from seqcast.networks.norms import MeanScale, RevIN
from seqcast.train_config import TrainConfig
from seqcast.training import train

AMPLITUDES = {"tiny": 0.01, "small": 0.1, "unit": 1.0, "large": 10.0}  # 1000x apart


def sines(steps: int = 240, noise: float = 0.0) -> pd.DataFrame:
    """A panel of daily sines of period 12, each with its own phase, level and amplitude."""
    rng = np.random.default_rng(0)
    series = {}
    for i, (key, amplitude) in enumerate(AMPLITUDES.items()):
        t = np.arange(steps)
        y = amplitude * (3 + np.sin(2 * np.pi * (t + 3 * i) / 12) + noise * rng.normal(size=steps))
        index = pd.date_range("2020-01-01", periods=steps, freq="D", name="time")
        series[key] = pd.DataFrame({"y": y}, index=index)
    return from_series(series)


def settings(**extra: object) -> dict[str, object]:
    train = {"epochs": 30, "lr": 0.01, "patience": 30, "seed": 1}
    return {"input_len": 24, "strategy": "direct", "horizon": 6, "train": train, **extra}


@pytest.mark.parametrize("name", ["gru", "mlp"])
def test_one_network_learns_series_a_thousand_times_apart(name: str) -> None:
    panel = sines(noise=0.02)
    train = panel.groupby(level="id", sort=False).head(234)  # the last 6 of each held out
    train.attrs = panel.attrs
    model = create_model(name, **settings())
    forecast = model.fit(train, "y").predict(6)  # a panel: 6 steps after each series
    assert forecast.shape == (4 * 6, 1) and list(forecast.index.unique(0)) == list(AMPLITUDES)
    for key, amplitude in AMPLITUDES.items():
        truth = panel.loc[key, "y"].to_numpy()[-6:]
        error = np.abs(forecast.loc[key, "y"].to_numpy() - truth).mean()
        naive = np.abs(train.loc[key, "y"].to_numpy()[-1] - truth).mean()
        assert error < 0.25 * naive, (key, error / amplitude)


@pytest.mark.parametrize(("norm", "layer"), [("revin", RevIN), ("mean", MeanScale)])
def test_a_series_c_times_larger_gets_a_forecast_c_times_larger(norm: str, layer: type) -> None:
    panel = sines()
    model = create_model("mlp", **settings(norm=norm, train={"epochs": 3}))
    model.fit(panel, "y")
    assert isinstance(model.trained_.module.norm, layer)
    scaled = {key: frame * (1000.0 if key == "unit" else 1.0) for key, frame in iter_series(panel)}
    before, after = model.predict(6), model.predict(6, history=from_series(scaled))
    np.testing.assert_allclose(after.loc["unit"], 1000 * before.loc["unit"], rtol=1e-4)
    np.testing.assert_allclose(after.loc["large"], before.loc["large"], rtol=1e-6)


def test_validation_holds_out_the_last_steps_of_every_series() -> None:
    panel = sines(steps=60)
    model = create_model("linear", **settings(train={"epochs": 1, "valid_steps": 6}))
    model.fit(panel, "y")
    windows = model.windows(panel)  # 60 - 24 - 6 + 1 = 31 windows per series
    assert len(windows) == 4 * 31
    ends = np.cumsum([60] * 4)
    train, valid = hold_out(windows, ends, fraction=0.2, steps=6, input_len=24, network_horizon=6)
    assert valid is not None and len(valid) == 4  # one window per series: its last 6 steps
    assert (valid.starts + 24 == np.arange(1, 5) * 60 - 6).all()
    # training targets end before those 6 steps: 60 - 6 - 24 - 6 + 1 = 25 windows a series
    assert len(train) == 4 * 25 and ((train.starts % 60) + 24 + 6 <= 54).all()


def test_series_embedding_and_static_columns_reach_the_network(tmp_path: Path) -> None:
    panel = sines(steps=80)
    panel["size"] = np.repeat(list(AMPLITUDES.values()), 80)
    model = create_model("gru", **settings(id_embedding=3, static=("size",), train={"epochs": 2}))
    model.fit(panel, "y")
    assert model.trained_.module.net.embedding.weight.shape == (4, 3)  # norm -> embedding -> GRU
    gru = model.trained_.module.net.net
    assert gru.fused.input_size == 1 + 1 + 3  # y, size, the series' vector
    forecast = model.predict(6)
    path = tmp_path / "global.pt"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, NeuralForecaster)
    pd.testing.assert_frame_equal(loaded.predict(6, history=panel), forecast)
    unknown = {"new": next(iter_series(panel))[1]}
    with pytest.raises(SeqcastError, match="series 'new' was not in the panel"):
        model.predict(6, history=from_series(unknown))
    changing = panel.assign(size=np.arange(len(panel), dtype=float))
    with pytest.raises(SeqcastError, match="static column 'size' changes within series 'tiny'"):
        create_model("gru", **settings(static=("size",))).fit(changing, "y")


def test_without_padding_a_series_too_short_for_a_window_is_named() -> None:
    days = pd.date_range("2020-01-01", periods=50)
    table = pd.DataFrame(
        {"id": ["long"] * 50 + ["short"] * 27, "day": [*days, *days[:27]], "y": np.arange(77.0)}
    )
    panel = prepare_panel(table, "id", "day")  # 27 >= input_len 24, < 24 + horizon 6
    with pytest.raises(SeqcastError, match="series 'short' has 27 steps; gru needs at least 30"):
        create_model("gru", **settings(pad=False)).fit(panel, "y")


def test_a_global_model_trains_one_network_and_windows_stay_in_their_series() -> None:
    panel = sines(steps=40)
    model = create_model("linear", **settings(train={"epochs": 1, "valid_fraction": 0.0}))
    model.fit(panel, "y")
    x, _ = model.windows(panel).batch(np.arange(4 * 11))  # 40 - 24 - 6 + 1 = 11 each
    level = x.mean(axis=(1, 2))  # each series lives on its own scale: 3 x amplitude
    for i, amplitude in enumerate(AMPLITUDES.values()):
        np.testing.assert_allclose(level[i * 11 : (i + 1) * 11], 3 * amplitude, rtol=0.2)
    assert sum(p.numel() for p in model.trained_.module.parameters()) == 24 * 6 + 6 + 2  # + RevIN


class _Zeros(torch.nn.Module):
    """Forecasts 0 for every step (with a parameter, so that training can run)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * torch.zeros(x.shape[0], 1, self.width)


def test_a_windows_loss_is_in_units_of_its_own_spread() -> None:
    # Two series of 5 steps, 1000x apart; windows of 3 inputs and 2 targets: one each.
    values = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [1e3], [3e3], [2e3], [5e3], [4e3]])
    windows = Windows.over_series(values, values, np.array([5, 5]), length=3, horizon=2)
    config = TrainConfig(epochs=1, batch_size=2, lr=1e-9, loss="mse")
    state = train(_Zeros(2), windows, None, config, np.ones(1), per_window=True)
    spreads = [np.std([1.0, 2.0, 3.0]), np.std([1e3, 3e3, 2e3])]  # the inputs' (ddof 0)
    targets = [[4.0, 5.0], [5e3, 4e3]]
    expected = np.mean(
        [
            (t / np.sqrt(s**2 + 1e-5)) ** 2
            for s, pair in zip(spreads, targets, strict=True)
            for t in pair
        ]
    )
    assert state.history.train_loss == pytest.approx([expected], rel=1e-5)
    plain = train(_Zeros(2), windows, None, config, np.ones(1), per_window=False)
    assert plain.history.train_loss == pytest.approx([np.mean(np.square(targets))], rel=1e-6)


def test_an_epoch_can_draw_a_number_of_windows_at_random() -> None:
    seen: list[list[float]] = []

    class Recording(_Zeros):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x[:, 0, 0].tolist())  # each window's first value: its start
            return super().forward(x)

    values = np.arange(100.0)[:, None]
    windows = Windows.over(values, values, 3, 2)  # 96 windows
    config = TrainConfig(epochs=2, batch_size=10, windows_per_epoch=25, lr=1e-9)
    train(Recording(2), windows, None, config, np.ones(1))
    assert [len(batch) for batch in seen] == [10, 10, 5] * 2
    first = [start for batch in seen[:3] for start in batch]
    second = [start for batch in seen[3:] for start in batch]
    assert len(set(first)) == 25 and len(set(second)) == 25 and set(first) != set(second)


def test_an_ensemble_averages_members_of_which_the_first_is_the_single_network(
    tmp_path: Path,
) -> None:
    panel = sines(noise=0.1)
    single = create_model("mlp", hidden_size=16, **settings()).fit(panel, "y")
    group = create_model("mlp", hidden_size=16, ensemble=3, **settings()).fit(panel, "y")
    members = group.trained_.module.members
    assert len(members) == 3
    for mine, theirs in zip(
        single.trained_.module.state_dict().values(), members[0].state_dict().values(), strict=True
    ):
        assert torch.equal(mine, theirs)
    assert not torch.equal(members[0].net.net[1].weight, members[1].net.net[1].weight)
    x = torch.from_numpy(group.windows(panel).batch(np.arange(5))[0])  # (5, L, C)
    with torch.no_grad():
        by_hand = torch.stack([member(x) for member in members]).mean(dim=0)
        assert torch.allclose(group.trained_.module(x), by_hand)
    path = tmp_path / "ensemble.pt"
    group.save(path)
    again = load_model(path)
    pd.testing.assert_frame_equal(again.predict(6, history=panel), group.predict(6))
    with pytest.raises(SeqcastError, match="holds no training state"):
        create_model("mlp", hidden_size=16, ensemble=3, **settings()).fit(panel, "y", resume=path)
    with pytest.raises(SeqcastError, match="ensemble must be at least 1"):
        create_model("mlp", ensemble=0)


def test_panel_defaults_give_a_week_of_hourly_input_and_fast_epochs() -> None:
    from seqcast.evaluation.benchmark import default_models

    names = ["mlp", "gru", "segrnn", "theta", "rnn"]
    mlp, gru, segrnn, theta, rnn = default_models(24, 48, names, panel=True, settings=[])
    assert (mlp.input_len, mlp.horizon, mlp.strategy) == (168, 48, "direct")
    # a recurrent network reads two seasons, with a highway over the last one
    assert (gru.input_len, gru.horizon, gru.strategy, gru.highway) == (48, 48, "direct", 24)
    # three simple RNNs on a panel; one on a single series
    assert (rnn.input_len, rnn.highway, rnn.ensemble, gru.ensemble) == (48, 24, 3, 1)
    assert default_models(24, 48, ["rnn"])[0].ensemble == 1
    assert (gru.train.batch_size, gru.train.loss, gru.train.windows_per_epoch) == (
        256,
        "mae",
        50_000,
    )
    assert (segrnn.input_len, segrnn.seg_len, segrnn.hidden_size) == (168, 24, 128)
    assert (segrnn.norm, default_models(24, 48, ["segrnn"])[0].norm) == ("revin", "last")
    assert theta.season == 24
    one_series = default_models(52, 52, ["gru"])[0]
    assert (one_series.input_len, one_series.train.batch_size) == (104, 32)
    (mlp,) = default_models(24, 48, ["mlp"], panel=True, settings=["ensemble=5", "train.lr=0.003"])
    assert (mlp.ensemble, mlp.train.lr, mlp.train.batch_size) == (5, 0.003, 256)
    with pytest.raises(SeqcastError, match="theta.*ensemble"):
        default_models(24, 48, ["mlp", "theta"], settings=["ensemble=5"])


def test_the_command_line_forecasts_every_series_of_a_panel_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import run_cli

    panel = sines(60).reset_index()
    panel["id"] = panel["id"].map({k: f"0{i}" for i, k in enumerate(AMPLITUDES)})
    panel.to_csv(tmp_path / "p.csv", index=False)
    data = ["--csv", str(tmp_path / "p.csv"), "--id-column", "id", "--date-column", "time"]
    fit = ["fit", *data, "--target", "y", "--model", "mlp", "--set", "input_len=12"]
    fit += ["--set", "train.epochs=2", "--no-progress", "--train-end", "2020-02-25"]
    assert run_cli([*fit, "--out", str(tmp_path / "m")], capsys)[0] == 0
    trained = json.loads((tmp_path / "m" / "training.json").read_text())
    assert trained["first"].startswith("2020-01-01") and trained["last"].startswith("2020-02-25")
    ask = ["forecast", "--checkpoint", str(tmp_path / "m" / "model.pt"), "--horizon", "3"]
    code, stdout, _ = run_cli([*ask, "--out", str(tmp_path / "f")], capsys)
    assert code == 0 and "steps after each series' last date" in stdout
    assert "00" in stdout and "2020-03-01" in stdout  # the ids as written, the first step
    saved = pd.read_csv(tmp_path / "f" / "forecast.csv", dtype={"id": str})
    assert list(saved.columns) == ["id", "time", "y"]
    assert saved["id"].tolist() == [f"0{i}" for i in range(4) for _ in range(3)]
    model = load_model(tmp_path / "m" / "model.pt")
    expected = model.predict(3, history=prepare_panel(panel, "id", "time"))
    np.testing.assert_allclose(saved["y"], expected["y"], rtol=1e-6)
    assert (tmp_path / "f" / "forecast.png").stat().st_size > 10_000
    code, _, err = run_cli([*ask, "--origin", "2020-02-01"], capsys)
    assert code == 1 and "a panel is forecast after each series' last row" in err
    kstep = ["kstep", "--checkpoint", str(tmp_path / "m" / "model.pt")]
    assert "k-step analysis reads one series" in run_cli(kstep, capsys)[2]
    for command in ("analyze", "arima-search"):
        code, _, err = run_cli([command, *data, "--target", "y", "--out", "x"], capsys)
        assert code == 1 and f"{command} reads one series" in err and "panel of 4" in err
