"""Neural models that learn distributions: the heads' losses against reference formulas,
quantiles that never cross, learned quantiles of Gaussian noise within a few percent of the
true ones, sampled paths of recursive models, panels, checkpoints and bad settings."""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from seqcast import SeqcastError, create_model, load_model
from seqcast.data.panel import from_series
from seqcast.evaluation import probabilistic
from seqcast.networks.heads import (
    NegativeBinomialHead,
    NormalHead,
    QuantileHead,
    StudentTHead,
    rescale,
)

SIGMA = 2.0


def noise(steps: int = 3000, seed: int = 0) -> pd.DataFrame:
    """10 + Gaussian noise of deviation SIGMA, hourly: nothing to learn but the spread."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=steps, freq="h", name="time")
    return pd.DataFrame({"y": 10 + SIGMA * rng.normal(size=steps)}, index=index)


def settings(loss: str, **extra: object) -> dict[str, object]:
    train = {"epochs": 25, "lr": 0.01, "batch_size": 64, "patience": 25, "loss": loss, "seed": 0}
    return {"input_len": 24, "strategy": "direct", "horizon": 4, "train": train, **extra}


def test_head_losses_match_the_reference_formulas() -> None:
    rng = np.random.default_rng(0)
    y = torch.tensor(rng.normal(size=(5, 3)))
    loc, scale = torch.tensor(rng.normal(size=(5, 3))), torch.tensor(rng.uniform(0.5, 2, (5, 3)))
    normal = NormalHead().loss(torch.stack([loc, scale], -2), y)
    assert normal.item() == pytest.approx(-stats.norm.logpdf(y, loc, scale).mean())
    df = torch.tensor(rng.uniform(3, 9, (5, 3)))
    student = StudentTHead().loss(torch.stack([loc, scale, df], -2), y)
    assert student.item() == pytest.approx(-stats.t.logpdf(y, df, loc, scale).mean())
    counts = torch.tensor(rng.poisson(4, (5, 3)), dtype=torch.float64)
    mean, total = torch.tensor(rng.uniform(1, 6, (5, 3))), torch.tensor(rng.uniform(1, 5, (5, 3)))
    negbin = NegativeBinomialHead().loss(torch.stack([mean, total], -2), counts)
    expected = -stats.nbinom.logpmf(counts, total, total / (total + mean)).mean()
    assert negbin.item() == pytest.approx(expected)
    levels = (0.1, 0.5, 0.9)
    q = torch.tensor(np.sort(rng.normal(size=(5, 3, 3)), axis=1))  # (B, Q, K)
    pinball = np.mean(
        [probabilistic.pinball_loss(y, q[:, i], level) for i, level in enumerate(levels)]
    )
    assert QuantileHead(levels).loss(q, y).item() == pytest.approx(2 * pinball)


def test_quantile_head_never_crosses_and_rescales_like_the_data() -> None:
    head = QuantileHead((0.025, 0.1, 0.5, 0.9, 0.975))
    params = head.link(torch.randn(64, 5, 2) * 10)  # any raw output at all
    assert (params.diff(dim=-2) >= 0).all()
    moved = rescale(head, params, torch.tensor(3.0), torch.tensor(2.0))
    torch.testing.assert_close(moved, 3 + 2 * params)
    normal = rescale(NormalHead(), torch.tensor([[1.0], [0.5]]), 10.0, -4.0)
    torch.testing.assert_close(normal, torch.tensor([[6.0], [2.0]]))  # scales stretch by |-4|


@pytest.mark.parametrize("loss", ["quantile", "normal"])
def test_a_model_trained_on_gaussian_noise_learns_its_quantiles(loss: str) -> None:
    data = noise()
    model = create_model("mlp", **settings(loss)).fit(data.iloc[:2500], "y")
    assert model.has_intervals
    origins = np.arange(2500, 2990, 5)
    bounds = model.forecast_origins(data, origins, 4, [80, 95])[:, :, 0, 1:]  # (O, H, 4)
    for i, level in enumerate((0.80, 0.95)):
        half = (bounds[..., 2 * i + 1] - bounds[..., 2 * i]).mean() / 2
        true = SIGMA * NormalDist().inv_cdf(0.5 + level / 2)
        assert half == pytest.approx(true, rel=0.06), (level, half, true)
    lo95, lo80, hi80, hi95 = bounds[..., 2], bounds[..., 0], bounds[..., 1], bounds[..., 3]
    point = model.forecast_origins(data, origins, 4)[:, :, 0, 0]
    assert (lo95 <= lo80).all() and (lo80 <= point).all() and (point <= hi80).all()
    assert (hi80 <= hi95).all()
    assert abs(point.mean() - 10) < 0.3


def test_a_recursive_model_samples_paths_whose_spread_matches_the_noise() -> None:
    data = noise(2000)
    model = create_model(
        "linear", **{**settings("normal"), "strategy": "recursive", "horizon": 1}
    ).fit(data.iloc[:1800], "y")
    origins = np.arange(1800, 1996)
    bounds = model.forecast_origins(data, origins, 3, [95])[:, :, 0, 1:]  # (O, 3, 2)
    half = (bounds[..., 1] - bounds[..., 0]).mean(axis=0) / 2  # per step
    np.testing.assert_allclose(half, SIGMA * 1.96, rtol=0.15)
    actual = data["y"].to_numpy()[origins[:, None] + np.arange(1, 4)]
    assert abs(probabilistic.coverage(actual, bounds[..., 0], bounds[..., 1]) - 0.95) < 0.04
    again = model.forecast_origins(data, origins, 3, [95])[:, :, 0, 1:]
    np.testing.assert_array_equal(bounds, again)  # seeded paths


def test_student_t_and_negbin_heads_give_intervals() -> None:
    data = noise(1500)
    t_model = create_model("mlp", **settings("student_t")).fit(data, "y")
    bands = t_model.predict_interval(4, levels=[90])
    assert (bands["y_lo_90"] < bands["y"]).all() and (bands["y"] < bands["y_hi_90"]).all()
    counts = pd.DataFrame(
        {"y": np.random.default_rng(1).poisson(20, 1500).astype(float)}, index=data.index
    )
    nb = create_model("mlp", **settings("negbin", scaling="none", norm="mean")).fit(counts, "y")
    bands = nb.predict_interval(4, levels=[90])
    assert bands["y"].to_numpy() == pytest.approx(20, rel=0.15)
    assert (bands["y_lo_90"] == np.floor(bands["y_lo_90"])).all()  # counts
    assert (bands["y_lo_90"] < bands["y"]).all() and (bands["y"] < bands["y_hi_90"]).all()


def test_segrnn_and_a_global_model_learn_quantiles_on_a_panel(tmp_path: Path) -> None:
    panel = from_series({"a": noise(600, 1), "b": noise(600, 2) * 5})
    model = create_model("segrnn", **settings("quantile", seg_len=4, input_len=24, hidden_size=16))
    model.fit(panel, "y")
    bands = model.predict_interval(4, levels=[80, 95])
    assert bands.shape == (8, 5)
    width_a = (bands.loc["a", "y_hi_95"] - bands.loc["a", "y_lo_95"]).mean()
    width_b = (bands.loc["b", "y_hi_95"] - bands.loc["b", "y_lo_95"]).mean()
    assert 3 < width_b / width_a < 8  # RevIN: series 5 times as spread get wider intervals
    model.save(tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    pd.testing.assert_frame_equal(loaded.predict_interval(4, [80, 95], history=panel), bands)


def test_distribution_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(SeqcastError, match="recursive forecast samples paths"):
        create_model("gru", train={"loss": "quantile"})
    with pytest.raises(SeqcastError, match="never shifted"):
        create_model("mlp", strategy="direct", horizon=2, train={"loss": "negbin"})
    with pytest.raises(SeqcastError, match="rmf decoder"):
        create_model(
            "segrnn",
            strategy="direct",
            horizon=4,
            seg_len=2,
            input_len=8,
            decoder="rmf",
            train={"loss": "normal"},
        )
    with pytest.raises(SeqcastError, match="include 0.5"):
        create_model(
            "mlp", strategy="direct", horizon=2, train={"loss": "quantile", "quantiles": (0.1, 0.9)}
        )
    with pytest.raises(SeqcastError, match="loss must be one of"):
        create_model("mlp", train={"loss": "poisson"})
    model = create_model("mlp", **settings("quantile", horizon=2)).fit(noise(300), "y")
    with pytest.raises(SeqcastError, match=r"learned the quantiles .*0.25 quantile"):
        model.predict_interval(2, levels=[50])
    point = create_model("mlp", **settings("mae", horizon=2))
    assert not point.has_intervals


def test_conformal_intervals_around_a_global_model_keep_its_forecasts() -> None:
    from seqcast import Conformal
    from seqcast.evaluation.panel import panel_backtest

    panel = from_series({"a": noise(400, 1), "b": noise(400, 2) * 3})
    model = create_model("mlp", **settings("mae"))
    bare = panel_backtest(model, panel, "y", 4)
    wrapped = Conformal(model, horizon=4, origins=40, pool="panel", season=24)
    result = panel_backtest(wrapped, panel, "y", 4, levels=[90])
    np.testing.assert_array_equal(result.forecasts["forecast"], bare.forecasts["forecast"])
    half = result.forecasts["hi_90"] - result.forecasts["forecast"]
    np.testing.assert_allclose(half, result.forecasts["forecast"] - result.forecasts["lo_90"])
    by_series = half.groupby(result.forecasts["id"]).mean()
    assert 1.5 < by_series["b"] / by_series["a"] < 6  # pooled, then each series' scale


def neural_models() -> list[str]:
    from seqcast.models.neural import NeuralForecaster
    from seqcast.models.registry import list_models, model_class

    return [n for n in list_models() if issubclass(model_class(n), NeuralForecaster)]


@pytest.mark.parametrize("loss", ["quantile", "normal", "student_t", "negbin"])
@pytest.mark.parametrize("name", neural_models())
def test_every_neural_model_learns_every_head(name: str, loss: str) -> None:
    rng = np.random.default_rng(3)
    index = pd.date_range("2021-01-01", periods=240, freq="h", name="time")
    counts = pd.DataFrame({"y": rng.poisson(20, 240).astype(float)}, index=index)
    extra: dict[str, object] = {"scaling": "none", "norm": "mean"} if loss == "negbin" else {}
    if name == "segrnn":
        extra |= {"seg_len": 2, "hidden_size": 8}
    if name == "esrnn":  # it normalises each window by its own smoothing
        extra.pop("norm", None)
    train = {"epochs": 2, "loss": loss, "valid_fraction": 0.0, "batch_size": 64}
    model = create_model(name, input_len=8, strategy="direct", horizon=2, train=train, **extra).fit(
        counts, "y"
    )
    bands = model.predict_interval(2, levels=[80, 95])
    assert list(bands.columns) == ["y", "y_lo_80", "y_hi_80", "y_lo_95", "y_hi_95"]
    values = bands.to_numpy()
    assert np.isfinite(values).all()
    assert (values[:, 3] <= values[:, 1]).all() and (values[:, 1] <= values[:, 2]).all()
    assert (values[:, 2] <= values[:, 4]).all()


def test_a_network_that_ignores_the_heads_width_is_named_when_built() -> None:
    from seqcast.models.linear import Linear
    from seqcast.networks.window import WindowLinear

    class OneOutput(Linear):  # one output per step, whatever the head needs
        def build(self, n_inputs: int, n_targets: int) -> torch.nn.Module:
            return WindowLinear(self.input_len, n_inputs, self.network_horizon * n_targets)

    model = OneOutput(input_len=8, strategy="direct", horizon=2, train={"loss": "normal"})
    wanted = r"gives outputs of shape \(1, 1, 2\) .* needs 4 \(2 per value for train.loss normal"
    with pytest.raises(SeqcastError, match=wanted):
        model.fit(noise(100), "y")


def test_every_loss_name_has_its_head_and_every_norm_its_layer() -> None:
    from seqcast.networks import NORMS
    from seqcast.networks.heads import make_head
    from seqcast.networks.norms import make_norm
    from seqcast.train_config import DISTRIBUTION_LOSSES, POINT_LOSSES

    for loss in DISTRIBUTION_LOSSES:
        head = make_head(loss, (0.1, 0.5, 0.9))
        assert head is not None and head.name == loss
    assert all(make_head(loss, (0.5,)) is None for loss in POINT_LOSSES)
    assert all(make_norm(kind, 2) is not None for kind in NORMS)
    with pytest.raises(ValueError, match="norm must be one of revin, last, mean, none"):
        make_norm("max", 2)
