"""N-BEATS (Oreshkin et al. 2020, the MLP that the M4 recurrent models are measured
against): network in ``seqcast.networks.nbeats``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from seqcast.errors import SeqcastError
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import register_model

Stack = Literal["generic", "interpretable"]


@register_model("nbeats")
@dataclass
class NBeats(NeuralForecaster):
    """N-BEATS: fully connected blocks with backward and forward residual links, each target
    a series of its own, the other channels read as exogenous inputs.

    stack : ``generic`` (``blocks`` blocks with learned bases) or ``interpretable`` (a trend
        stack, polynomials of ``degree``, then a seasonality stack, Fourier terms; each of
        ``blocks`` weight-sharing passes; point forecasts, whose parts ``parts`` gives).
    blocks, layers, hidden_size : blocks per stack, Linear-ReLU layers per block, width.
    degree : the trend polynomial's degree (interpretable).
    season : the season m of the seasonality stack's harmonics (interpretable; 0: the
        paper's harmonics of the horizon); a benchmark gives the data's.

    The paper's M4 configurations are far larger (generic: 30 blocks of 4 x 512;
    interpretable: 3 + 3 blocks of width 256 and 2,048, ensembles of 180 networks); these
    defaults are sized for a CPU.
    """

    stack: Stack = "generic"
    blocks: int = 3
    layers: int = 4
    hidden_size: int = 256
    degree: int = 3
    season: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_positive("blocks", "layers", "hidden_size")
        if self.degree < 0 or self.season < 0:
            raise SeqcastError(
                f"nbeats: degree and season must be 0 or more, got {self.degree}, {self.season}"
            )
        if self.stack == "interpretable" and self.head is not None:
            raise SeqcastError(
                f"nbeats: the interpretable stacks forecast a point (train.loss "
                f"{self.train.loss} learns a distribution); use stack=generic"
            )

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """The neural defaults, with the data's season for the seasonality stack."""
        return {**super().defaults_for(season, horizon, panel=panel), "season": season}

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """Blocks {2, 3, 4, 6}, layers 2 to 4, width {128, 256, 512} (and 1,024 when
        ``wide``)."""
        params = super().search_space(trial, season, horizon, wide=wide)
        params["blocks"] = trial.suggest_categorical("blocks", [2, 3, 4, 6])
        params["layers"] = trial.suggest_int("layers", 2, 4)
        params["hidden_size"] = trial.suggest_categorical(
            "hidden_size", [128, 256, 512, *([1024] if wide else [])]
        )
        return params

    def build(self, n_inputs: int, n_targets: int) -> Any:
        from seqcast.networks.nbeats import NBeatsNet

        head = self.head
        return NBeatsNet(
            self.input_len,
            self.network_horizon,
            n_inputs,
            n_targets,
            stack=self.stack,
            blocks=self.blocks,
            layers=self.layers,
            hidden_size=self.hidden_size,
            degree=self.degree,
            season=self.season,
            params=1 if head is None else head.params,
        )
