"""k-step-ahead analysis against predictions and errors worked out independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from seqcast.errors import SeqcastError
from seqcast.evaluation.kstep import kstep_errors
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model


def _series(n: int = 60, seed: int = 3) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(size=n).cumsum()
    return pd.DataFrame({"x": values}, index=pd.date_range("2020-01-01", periods=n, freq="D"))


def _ar1_model(data: pd.DataFrame, phi: float) -> NeuralForecaster:
    """A fitted one-lag linear model whose weights are then set to x[t+1] = phi * x[t]."""
    model = create_model(
        "linear",
        input_len=1,
        scaling="none",
        norm="none",
        train={"epochs": 1, "valid_fraction": 0.0},
    )
    assert isinstance(model, NeuralForecaster)
    model.fit(data, "x")
    with torch.no_grad():
        model.trained_.module.proj.weight.fill_(phi)
        model.trained_.module.proj.bias.zero_()
    return model


def test_kstep_predictions_are_powers_of_the_one_step_map() -> None:
    data = _series()
    x = data["x"].to_numpy()
    analysis = kstep_errors(_ar1_model(data, 0.9), data, ks=(1, 2, 5))
    for k in (1, 2, 5):
        origins = np.arange(0, len(x) - k)  # every origin with one step before it
        expected = 0.9**k * x[origins]
        predicted = analysis.predictions[k]
        assert list(predicted.index) == list(data.index[origins + k])
        np.testing.assert_allclose(predicted["x"].to_numpy(), expected, rtol=1e-5)
        error = expected - x[origins + k]
        row = analysis.errors.loc[k]
        assert row["count"] == len(origins)
        assert row["mse"] == pytest.approx(np.mean(error**2), rel=1e-5)
        assert row["mae"] == pytest.approx(np.mean(np.abs(error)), rel=1e-5)


def test_kstep_error_of_a_perfect_model_is_zero() -> None:
    """phi = 1 on a constant series: every k-step prediction is exact."""
    data = pd.DataFrame({"x": np.full(30, 2.5)}, index=pd.date_range("2020", periods=30))
    analysis = kstep_errors(_ar1_model(data, 1.0), data, ks=(1, 8))
    assert analysis.errors["mse"].max() == pytest.approx(0.0, abs=1e-10)
    assert list(analysis.errors.index) == [1, 8]


@pytest.mark.parametrize("ks", [(), (0, 1), (-2,)])
def test_kstep_refuses_non_positive_k(ks: tuple[int, ...]) -> None:
    data = _series()
    with pytest.raises(SeqcastError, match="positive"):
        kstep_errors(_ar1_model(data, 0.5), data, ks)


def test_kstep_refuses_a_direct_model() -> None:
    data = _series()
    model = create_model("linear", input_len=4, horizon=3, strategy="direct", train={"epochs": 1})
    assert isinstance(model, NeuralForecaster)
    model.fit(data, "x")
    with pytest.raises(SeqcastError, match="direct strategy"):
        kstep_errors(model, data)


def test_kstep_refuses_data_too_short_for_one_origin() -> None:
    data = _series()
    model = create_model("linear", input_len=8, train={"epochs": 1, "valid_fraction": 0.0})
    assert isinstance(model, NeuralForecaster)
    model.fit(data, "x")
    with pytest.raises(SeqcastError, match="no origin"):
        kstep_errors(model, data.iloc[:8], ks=(1,))
