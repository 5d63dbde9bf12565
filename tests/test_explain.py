"""explain: shapes recorded from a real forward pass, for every neural model."""

from __future__ import annotations

import pytest
from conftest import run_cli

from seqcast import SeqcastError, list_models
from seqcast.explain import explain
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import model_class

NEURAL = [n for n in list_models() if issubclass(model_class(n), NeuralForecaster)]


@pytest.mark.parametrize("name", NEURAL)
def test_every_neural_model_explains_itself(name: str) -> None:
    params = {"input_len": 24, "seg_len": 4} if name == "segrnn" else {"input_len": 24}
    result = explain(name, batch=3, channels=2, horizon=4, params=params)
    assert result.input_shape == [3, 24, 2]
    assert result.forecast_shape == [3, 4, 2]
    assert result.stages and all(stage.shapes for stage in result.stages)
    names = {s.name for s in result.stages}
    outermost = [
        s for s in result.stages if not any(s.name.startswith(n + ".") for n in names)
    ]  # the recorded layers no other recorded layer contains
    assert result.params == sum(s.params for s in outermost)


def test_simple_rnn_shapes_batch_first() -> None:
    params = {"input_len": 10, "hidden_size": 8, "num_layers": 2, "bidirectional": True}
    result = explain("rnn", batch=5, channels=3, params=params)
    rnn = next(s for s in result.stages if s.kind == "RNN")
    # output [B, L, directions * hidden], h_n [num_layers * directions, B, hidden]
    assert rnn.shapes == [[5, 10, 16], [4, 5, 8]]
    assert result.forecast_shape == [5, 1, 3]


def test_explain_refuses_models_without_layers() -> None:
    with pytest.raises(SeqcastError, match="naive is not a neural model"):
        explain("naive", batch=2, channels=1)


def test_cli_prints_the_segrnn_chain(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(
        [
            "explain",
            "segrnn",
            "--set",
            "input_len=60",
            "--set",
            "seg_len=12",
            "--set",
            "hidden_size=512",
            "--batch",
            "16",
            "--channels",
            "7",
            "--horizon",
            "24",
        ],
        capsys,
    )
    assert code == 0
    for shape in ("[16, 60, 7]", "[112, 5, 12]", "[112, 5, 512]", "[1, 112, 512]", "[16, 24, 7]"):
        assert shape in stdout
    assert "parameters: 1,591,052" in stdout
