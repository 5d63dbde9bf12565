"""Forecasters that read the whole window at once: linear, MLP, DLinear, NLinear
(networks in ``seqcast.networks.window``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model


@register_model("linear")
@dataclass
class Linear(NeuralForecaster):
    """One dense layer over the flattened window (the book's "linear on 56 lags")."""

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.window import WindowLinear

        return WindowLinear(self.input_len, n_inputs, self.output_width(n_targets))


@register_model("mlp")
@dataclass
class MLP(NeuralForecaster):
    """Linear-ReLU-Linear over the flattened window, Xavier init (d2l's sine MLP: 4->10->1);
    ``num_layers`` hidden Linear-ReLU blocks of ``hidden_size`` in all."""

    hidden_size: int = 10
    num_layers: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("hidden_size", "num_layers")

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Hidden size {128, 256, 512, 1024} (and 2,048 when ``wide``), 1 to 3 layers."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [128, 256, 512, 1024, *([2048] if wide else [])]
        )
        params["num_layers"] = trial.suggest_int("num_layers", 1, 3)
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.window import WindowMLP

        return WindowMLP(
            self.input_len,
            n_inputs,
            self.hidden_size,
            self.output_width(n_targets),
            num_layers=self.num_layers,
        )


@register_model("dlinear")
@dataclass
class DLinear(NeuralForecaster):
    """DLinear (Zeng et al. 2023): trend/remainder decomposition, a linear map for each.
    Channel-independent; forecasts the target channels from their own history."""

    kernel_size: int = 25

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("kernel_size")

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """The moving average's kernel {13, 25, 49}."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["kernel_size"] = trial.suggest_categorical("kernel_size", [13, 25, 49])
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.window import DLinearNet

        head = self.head
        params = 1 if head is None else head.params
        return DLinearNet(self.input_len, self.network_horizon, n_targets, self.kernel_size, params)


@register_model("nlinear")
@dataclass
class NLinear(NeuralForecaster):
    """NLinear (Zeng et al. 2023): a linear map of the window relative to its last value."""

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.window import NLinearNet

        head = self.head  # the last value moves its locations back, not its scales or shapes
        moves = (True,) if head is None else tuple(kind == "loc" for kind in head.kinds)
        return NLinearNet(self.input_len, self.network_horizon, n_targets, moves)
