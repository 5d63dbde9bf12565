"""Neural forecasters: learning, determinism, checkpoints, strategies, covariates, cells."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli as _cli

from seqcast import SeqcastError, backtest, create_model, list_models, load_model
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import model_class
from seqcast.training import NonFiniteLoss

NEURAL = [n for n in list_models() if issubclass(model_class(n), NeuralForecaster)]


def quick(**extra: object) -> dict[str, object]:
    return {"input_len": 20, "train": {"epochs": 25, "lr": 0.01, "patience": 8}, **extra}


@pytest.mark.parametrize("name", NEURAL)
def test_each_model_learns_the_wave(name: str, wave: pd.DataFrame) -> None:
    sized = {"seg_len": 5} if name == "segrnn" else {}  # segments must divide 20 and 5
    model = create_model(name, **quick(strategy="direct", horizon=5, **sized))
    model.fit(wave.iloc[:260], "y")
    forecast = model.predict(5)
    truth = wave["y"].iloc[260:265].to_numpy()
    naive_error = np.abs(truth - wave["y"].iloc[259]).mean()
    assert np.abs(forecast["y"].to_numpy() - truth).mean() < 0.5 * naive_error
    assert (
        model.trained_.history.epochs >= 1
        and len(model.trained_.history.valid_mae) == model.trained_.history.epochs
    )


@pytest.mark.parametrize("name", NEURAL)
def test_same_seed_same_predictions_and_save_load(
    name: str, wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {"input_len": 12, "train": {"epochs": 2, "seed": 7}}
    if name == "segrnn":  # segments must divide the window (12) and horizon (24)
        settings.update(seg_len=4, hidden_size=16)
    first = create_model(name, **settings).fit(wave.iloc[:120], "y")
    second = create_model(name, **settings).fit(wave.iloc[:120], "y")
    a, b = first.predict(3).to_numpy(), second.predict(3).to_numpy()
    assert np.array_equal(a, b)  # bit-identical on CPU
    path = tmp_path / "model.pt"
    first.save(path)
    loaded = load_model(path)
    assert np.array_equal(loaded.predict(3, history=wave.iloc[:120]).to_numpy(), a)
    with pytest.raises(SeqcastError, match="holds no data; pass history="):
        loaded.predict(3)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_step_loop_equals_the_fused_layer(kind: str) -> None:
    from seqcast.networks.recurrent import RecurrentNet

    fused = RecurrentNet(3, 8, 2, cell=kind)
    loop = RecurrentNet(3, 8, 2, cell=kind, recurrent_dropout=0.1)  # recurrent dropout -> loop
    cell = loop.loops[0][0]
    rnn = fused.fused
    with torch.no_grad():
        cell.input_proj.weight.copy_(rnn.weight_ih_l0)
        cell.input_proj.bias.copy_(rnn.bias_ih_l0 + (0 if kind == "gru" else rnn.bias_hh_l0))
        cell.hidden_proj.weight.copy_(rnn.weight_hh_l0)
        if kind == "gru":
            cell.hidden_proj.bias.copy_(rnn.bias_hh_l0)
        loop.head.load_state_dict(fused.head.state_dict())
    x = torch.randn(4, 11, 3)
    loop.eval()
    torch.testing.assert_close(loop(x), fused(x), rtol=1e-5, atol=1e-5)


def test_layer_norm_cell_normalises_before_tanh() -> None:
    from seqcast.networks.recurrent import RecurrentNet

    net = RecurrentNet(2, 6, 1, layer_norm=True).eval()
    cell = net.loops[0][0]
    x = torch.randn(3, 5, 2)
    h = torch.zeros(3, 6)
    for t in range(5):
        z = cell.input_proj(x[:, t]) + cell.hidden_proj(h)
        z = (z - z.mean(-1, keepdim=True)) / torch.sqrt(
            z.var(-1, unbiased=False, keepdim=True) + 1e-5
        )
        h = torch.tanh(z * cell.norm.weight + cell.norm.bias)
    torch.testing.assert_close(net(x)[:, -1], net.head(h), rtol=1e-5, atol=1e-6)


def test_known_ahead_covariate_is_used() -> None:
    # The target jumps on days whose type is "A"; only the next day's type can tell when.
    rng = np.random.default_rng(1)
    kinds = rng.choice(["W", "A"], size=400, p=[0.7, 0.3])
    y = np.where(kinds == "A", 5.0, 0.0) + rng.normal(0, 0.1, 400)
    data = pd.DataFrame(
        {"y": y, "kind": kinds}, index=pd.date_range("2020-01-01", periods=400, freq="D")
    )
    # Jumps of a fixed size, whatever the window's level and spread: no per-window scaling.
    settings = quick(
        input_len=7,
        strategy="direct",
        horizon=2,
        norm="none",
        train={"epochs": 60, "lr": 0.01, "patience": 15},
    )
    informed = create_model("linear", known_ahead=("kind",), **settings)
    blind = create_model("linear", **settings)
    scores = {}
    for label, model in (("informed", informed), ("blind", blind)):
        result = backtest(model, data, "y", "2020-12-01", "2021-02-01")
        scores[label] = result.metrics["mae"]
    assert scores["informed"] < 0.3 < scores["blind"]
    with pytest.raises(SeqcastError, match="needs the known-ahead columns kind"):
        informed.fit(data, "y").predict(2)
    future = pd.DataFrame({"kind": ["A", "W"]})  # no dates: its first rows
    assert informed.predict(2, future=future)["y"].iloc[0] > 4
    # dated rows are matched by date: the data ends on 2021-02-03
    dated = pd.DataFrame(
        {"kind": ["W", "W", "A"]},
        index=pd.DatetimeIndex(["2021-02-05", "2021-02-06", "2021-02-04"]),
    )
    pd.testing.assert_frame_equal(
        informed.predict(2, future=dated), informed.predict(2, future=future)
    )
    later = dated.set_axis(pd.date_range("2030-01-01", periods=3, freq="D"))
    with pytest.raises(
        SeqcastError, match="from 2021-02-04 00:00:00 to 2021-02-05 .* no row for 2021-02-04"
    ):
        informed.predict(2, future=later)
    with pytest.raises(SeqcastError, match="no row for 2021-02-05"):
        informed.predict(2, future=dated.iloc[2:])


def test_strategy_rules() -> None:
    with pytest.raises(SeqcastError, match="linear gives one output per window"):
        create_model("linear", strategy="seq2seq", horizon=3)
    with pytest.raises(SeqcastError, match="leave horizon at 1"):
        create_model("gru", strategy="recursive", horizon=3)
    with pytest.raises(SeqcastError, match="bidirectional network would read"):
        create_model("gru", strategy="seq2seq", horizon=3, bidirectional=True)
    with pytest.raises(SeqcastError, match="train has no parameter 'lr_decay'"):
        create_model("gru", train={"lr_decay": 0.5})
    with pytest.raises(SeqcastError, match="train: patience must be at least 1"):
        create_model("gru", train={"patience": 0})


@pytest.mark.parametrize("valid_fraction", [0.2, 0.0])
def test_average_epochs_keeps_the_mean_of_the_best_epochs_weights(
    wave: pd.DataFrame, valid_fraction: float
) -> None:
    train = {"epochs": 6, "patience": 100, "average_epochs": 3, "valid_fraction": valid_fraction}
    model = create_model("gru", input_len=10, hidden_size=8, train=train)
    after: list[dict[str, torch.Tensor]] = []  # each epoch's weights, as on_epoch sees them

    def record(history: object) -> None:
        weights = model.trained_.module.state_dict()
        after.append({name: value.clone() for name, value in weights.items()})

    model.fit(wave, "y", on_epoch=record)
    history = model.trained_.history
    lowest = sorted(range(6), key=lambda i: history.valid_mae[i])[:3]
    best = lowest if valid_fraction else [3, 4, 5]  # no validation: the last three
    assert history.averaged == sorted(i + 1 for i in best)
    for name, value in model.trained_.module.state_dict().items():
        mean = sum(after[i][name] for i in best) / 3
        torch.testing.assert_close(value, mean, rtol=1e-6, atol=1e-7, msg=name)
    first = next(iter(after[0]))
    assert not torch.equal(model.trained_.module.state_dict()[first], after[best[0]][first])


def test_validation_part_too_short(wave: pd.DataFrame) -> None:
    model = create_model("gru", input_len=20, train={"epochs": 2})
    with pytest.raises(SeqcastError, match="validation part has 15 steps, too few"):
        model.fit(wave.iloc[:200], "y", valid=wave.iloc[200:215])
    tiny = create_model("linear", input_len=5, train={"epochs": 2, "valid_fraction": 0.1})
    assert tiny.fit(wave.iloc[:8], "y").trained_.history.epochs == 2  # 4 windows: none set aside


def test_forecast_limits(wave: pd.DataFrame) -> None:
    direct = create_model("linear", **quick(strategy="direct", horizon=3)).fit(wave, "y")
    with pytest.raises(SeqcastError, match="trained to forecast 3 steps .* asked for 5"):
        direct.predict(5)
    recursive = create_model("linear", **quick(covariates=("z",))).fit(wave, "y")
    assert recursive.predict(1).shape == (1, 1)
    with pytest.raises(SeqcastError, match="cannot predict the covariates it feeds on"):
        recursive.predict(2)


def test_seq2seq_trains_on_every_step(wave: pd.DataFrame) -> None:
    plain = quick(strategy="seq2seq", horizon=4, norm="none")
    model = create_model("gru", **plain).fit(wave.iloc[:200], "y")
    windows = model.windows(wave.iloc[:200])
    assert windows.steps.tolist() == list(range(20)) and model.norm_rows() is None
    x, y = windows.batch(np.array([0]))
    assert x.shape == (1, 20, 1) and y.shape == (1, 20, 4, 1)
    conv = create_model("conv_gru", **quick(strategy="seq2seq", horizon=4))
    assert conv.output_steps(20) == [3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert conv.scored_steps() == [11, 13, 15, 17, 19] and conv.norm_rows() == 12


def test_seq2seq_with_a_norm_learns_nothing_from_the_values_it_predicts(
    wave: pd.DataFrame,
) -> None:
    # A window's statistics over all its rows would tell step 3 where steps 4..7, its
    # targets, lie; with a norm, seq2seq scores steps 10..19 and normalises by rows 0..10.
    model = create_model("gru", **quick(strategy="seq2seq", horizon=4, train={"epochs": 1}))
    model.fit(wave.iloc[:200], "y")
    windows = model.windows(wave.iloc[:200])
    assert windows.steps.tolist() == list(range(10, 20)) and model.norm_rows() == 11
    x = torch.from_numpy(windows.batch(np.array([0]))[0])
    later = x.clone()
    later[:, 12:, 0] += 5.0
    module = model.trained_.module.eval()
    with torch.no_grad():
        before, after = module(x), module(later)
    assert before.shape == (1, 20, 4)
    torch.testing.assert_close(before[:, :12], after[:, :12])
    assert not torch.allclose(before[:, 12:], after[:, 12:])


def test_non_finite_loss_names_epoch_and_batch_and_keeps_weights(wave: pd.DataFrame) -> None:
    model = create_model(
        "mlp", input_len=8, scaling="none", train={"epochs": 5, "lr": 1e6, "optimizer": "sgd"}
    )
    # the batch losses are read once an epoch: the first NaN is still named by its batch
    with pytest.raises(NonFiniteLoss, match=r"at epoch 1, batch \d+; the best weights"):
        model.fit(wave * 1e3, "y")
    assert all(torch.isfinite(p).all() for p in model.trained_.module.parameters())


def test_cli_fit_then_forecast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gru"
    code, stdout, _ = _cli(
        [
            "fit",
            "--dataset",
            "sine40",
            "--target",
            "x",
            "--model",
            "gru",
            "--set",
            "input_len=40",
            "--set",
            "strategy=direct",
            "--set",
            "horizon=10",
            "--set",
            "train.epochs=15",
            "--set",
            "train.lr=0.01",
            "--train-end",
            "2002-01-29",
            "--no-progress",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stdout
    record = json.loads((out / "training.json").read_text())
    assert record["epochs"] >= 1 and record["parameters"] > 0
    assert record["last"].startswith("2002-01-29")
    code, stdout, _ = _cli(
        [
            "forecast",
            "--checkpoint",
            str(out / "model.pt"),
            "--horizon",
            "10",
            "--out",
            str(tmp_path / "fc"),
        ],
        capsys,
    )
    assert code == 0
    forecast = pd.read_csv(tmp_path / "fc" / "forecast.csv", index_col=0, parse_dates=True)
    assert len(forecast) == 10 and forecast.index[0] == pd.Timestamp("2002-03-11")  # after t=799
    truth = np.sin(2 * np.pi * np.arange(800, 810) / 40)
    assert np.abs(forecast["x"].to_numpy() - truth).mean() < 0.2
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    # From a chosen origin inside the data: the truth after it comes alongside.
    code, stdout, _ = _cli(
        [
            "forecast",
            "--checkpoint",
            str(out / "model.pt"),
            "--horizon",
            "10",
            "--origin",
            "2002-01-29",
            "--out",
            str(tmp_path / "fc-origin"),
        ],
        capsys,
    )
    assert code == 0, stdout
    past = pd.read_csv(tmp_path / "fc-origin" / "forecast.csv", index_col=0, parse_dates=True)
    assert list(past.columns) == ["x", "x (truth)"]
    assert past.index[0] == pd.Timestamp("2002-01-30")  # t = 760, the first held-out step
    np.testing.assert_allclose(past["x (truth)"], np.sin(2 * np.pi * np.arange(760, 770) / 40))
    assert np.abs(past["x"] - past["x (truth)"]).mean() < 0.2
    assert (tmp_path / "fc-origin" / "forecast.png").is_file()
    code, _, stderr = _cli(
        ["forecast", "--checkpoint", str(out / "model.pt"), "--horizon", "3", "--origin", "1990"],
        capsys,
    )
    assert code == 1 and "--origin" in stderr and "before the data begins" in stderr


def test_cli_kstep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "mlp"
    args = ["fit", "--dataset", "sine", "--target", "x", "--model", "mlp", "--no-progress"]
    args += ["--set", "input_len=4", "--set", "train.epochs=2", "--out", str(model)]
    assert _cli(args, capsys)[0] == 0
    out = tmp_path / "kstep"
    checkpoint = str(model / "model.pt")
    code, stdout, _ = _cli(
        ["kstep", "--checkpoint", checkpoint, "--ks", "1,3", "--out", str(out)], capsys
    )
    assert code == 0, stdout
    errors = pd.read_csv(out / "kstep.csv", index_col="k")
    assert list(errors.index) == [1, 3] and list(errors["count"]) == [996, 994]
    predictions = pd.read_csv(out / "predictions.csv", index_col=0, header=[0, 1])
    assert [c[0] for c in predictions.columns] == ["k=1", "k=3"]
    assert (out / "kstep.png").is_file()
    code, _, stderr = _cli(["kstep", "--checkpoint", checkpoint, "--ks", "0,2"], capsys)
    assert code == 1 and "positive" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["fit", "--dataset", "sine", "--target", "x", "--model", "arima"],
            "arima has no checkpoint to save",
        ),
        (
            [
                "fit",
                "--dataset",
                "sine",
                "--target",
                "x",
                "--model",
                "gru",
                "--set",
                "train.lr=fast",
            ],
            "'train.lr' must be a float, got 'fast'",
        ),
        (
            [
                "fit",
                "--dataset",
                "sine",
                "--target",
                "x",
                "--model",
                "gru",
                "--set",
                "train.speed=1",
            ],
            "gru train has no parameter 'speed'",
        ),
        (["forecast", "--checkpoint", "absent.pt", "--horizon", "3"], "checkpoint not found"),
    ],
)
def test_cli_bad_neural_requests(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli([*args, "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("layers", [1, 2])
def test_gru_sequence_matches_torch_gru_and_its_gradients(layers: int) -> None:
    from seqcast.networks.gru_sequence import GRUSequence, gru_layers

    torch.manual_seed(0)
    gru = torch.nn.GRU(5, 8, num_layers=layers, batch_first=True).double()
    x = torch.randn(4, 11, 5, dtype=torch.double, requires_grad=True)
    expected, _ = gru(x)
    upstream = torch.randn_like(expected)
    wanted = torch.autograd.grad(expected, [x, *gru.parameters()], upstream)
    got = gru_layers(gru, x)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
    for a, b in zip(
        torch.autograd.grad(got, [x, *gru.parameters()], upstream), wanted, strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    small = torch.nn.GRU(3, 4, batch_first=True).double()
    inputs = torch.randn(2, 5, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda v, *p: GRUSequence.apply(v, *p),
        (inputs, small.weight_ih_l0, small.weight_hh_l0, small.bias_ih_l0, small.bias_hh_l0),
    )


def test_cli_backtest_of_a_neural_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bt"
    code, _, err = _cli(
        [
            "backtest",
            "--dataset",
            "sine40",
            "--target",
            "x",
            "--model",
            "nlinear",
            "--set",
            "input_len=40",
            "--set",
            "strategy=direct",
            "--set",
            "horizon=5",
            "--set",
            "train.epochs=30",
            "--set",
            "train.lr=0.01",
            "--start",
            "2002-01-01",
            "--end",
            "2002-02-01",
            "--horizon",
            "5",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_forecasts"] == 32 and metrics["params"]["train"]["epochs"] == 30
    assert metrics["mae"] < 0.05  # a pure sine is nearly linear in its own past


def test_the_smape_loss_is_m4s_smape_as_a_fraction() -> None:
    from seqcast.training import symmetric_percentage_loss

    prediction = torch.tensor([[110.0, 0.0, 5.0], [1.0, -2.0, 0.0]])
    target = torch.tensor([[100.0, 0.0, 15.0], [3.0, 2.0, 4.0]])
    # 20/210, 0 (both zero), 20/20, 4/4, 8/4, 8/4 over six entries
    expected = (20 / 210 + 0 + 1 + 1 + 2 + 2) / 6
    assert symmetric_percentage_loss(prediction, target).item() == pytest.approx(expected)
    assert symmetric_percentage_loss(1000 * prediction, 1000 * target).item() == pytest.approx(
        expected
    )


def test_an_mlp_stacks_num_layers_hidden_layers() -> None:
    model = create_model(
        "mlp", input_len=6, hidden_size=7, num_layers=3, horizon=2, strategy="direct", norm="none"
    )
    net = model.build(2, 1)
    shapes = [tuple(m.weight.shape) for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert shapes == [(7, 12), (7, 7), (7, 7), (2, 7)]
    assert net(torch.zeros(5, 6, 2)).shape == (5, 1, 2)
    with pytest.raises(SeqcastError, match="num_layers"):
        create_model("mlp", num_layers=0)
