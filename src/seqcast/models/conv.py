"""Convolutional forecasters: Conv1D + GRU, and WaveNet (networks in ``seqcast.networks.conv``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model

KERNEL, STRIDE = 4, 2  # Conv1D+GRU's downsampling convolution


@register_model("conv_gru")
@dataclass
class ConvGRU(NeuralForecaster):
    """Conv1D (kernel 4, stride 2) + GRU; seq2seq targets are cropped and downsampled to the
    convolution's outputs (input steps 3, 5, 7, ...)."""

    filters: int = 32
    hidden_size: int = 32
    num_layers: int = 1

    sequence_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("filters", "hidden_size", "num_layers")
        if self.input_len < KERNEL:
            raise SeqcastError(f"conv_gru needs input_len >= {KERNEL}, got {self.input_len}")

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Filters {16, 32, 64}, hidden size {32, 64, 128} (128 filters and 256 units more
        when ``wide``)."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["filters"] = trial.suggest_categorical(
            "filters", [16, 32, 64, *([128] if wide else [])]
        )
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [32, 64, 128, *([256] if wide else [])]
        )
        return params

    def output_steps(self, length: int) -> list[int]:
        return list(range(KERNEL - 1, length, STRIDE))

    def build(self, n_inputs: int, n_targets: int) -> Any:
        if (self.input_len - KERNEL) % STRIDE:  # the last output must end on the last step
            raise SeqcastError(
                f"conv_gru needs an even input_len (its last output must end "
                f"on the window's last step), got {self.input_len}"
            )
        from seqcast.networks.conv import ConvGRUNet

        return ConvGRUNet(
            n_inputs,
            self.hidden_size,
            self.output_width(n_targets),
            filters=self.filters,
            num_layers=self.num_layers,
            kernel_size=KERNEL,
            stride=STRIDE,
        )


@register_model("wavenet")
@dataclass
class WaveNet(NeuralForecaster):
    """WaveNet-style causal dilated Conv1D stack (dilations 1, 2, 4, 8, twice) + 1x1 head."""

    filters: int = 32
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)

    sequence_output: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("filters")
        self.dilations = tuple(self.dilations)
        if not self.dilations or min(self.dilations) < 1:
            raise SeqcastError(
                f"wavenet: dilations must be one or more numbers of at least 1, "
                f"got {self.dilations!r}"
            )

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Filters {16, 32, 64} (and 128 when ``wide``)."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["filters"] = trial.suggest_categorical(
            "filters", [16, 32, 64, *([128] if wide else [])]
        )
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.conv import WaveNetNet

        return WaveNetNet(
            n_inputs,
            self.output_width(n_targets),
            filters=self.filters,
            dilations=tuple(self.dilations),
        )
