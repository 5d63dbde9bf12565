"""Every chosen model through the same backtest, ranked by MAE."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from seqcast.backtest import BacktestResult, backtest
from seqcast.models.base import Forecaster
from seqcast.models.registry import create_model, list_models, model_class
from seqcast.results import json_ready

LEADERBOARD_METRICS = ("mae", "rmse", "mape", "smape", "mase")


@dataclass
class Benchmark:
    """The leaderboard (one row per model, best MAE first) and each model's backtest."""

    leaderboard: pd.DataFrame
    results: list[BacktestResult]

    def per_horizon(self, metric: str = "mae") -> pd.DataFrame:
        """(H, models): ``metric`` at each step +1..+H for every model."""
        return pd.DataFrame({r.model: r.per_horizon[metric] for r in self.results})

    def to_dict(self) -> dict[str, Any]:
        rows = self.leaderboard.to_dict(orient="records")
        details = {r.model: r.to_dict() for r in self.results}
        return json_ready({"leaderboard": rows, "models": details})


def default_models(
    season: int, horizon: int, names: Sequence[str] | None = None
) -> list[Forecaster]:
    """Registered models (all, or ``names``), each with the parameters it suggests for data
    with this season and horizon (``Forecaster.defaults_for``)."""
    chosen = list(names) if names is not None else list_models()
    return [
        create_model(name, **model_class(name).defaults_for(season, horizon)) for name in chosen
    ]


def run_benchmark(
    models: Sequence[Forecaster],
    data: pd.DataFrame,
    targets: str | Sequence[str],
    start: str,
    end: str,
    horizon: int,
    *,
    refit: bool = False,
    train_start: str | None = None,
    season: int = 1,
) -> Benchmark:
    """Backtest each model on the same origins; the leaderboard is sorted by MAE."""
    results = [
        backtest(
            model,
            data,
            targets,
            start,
            end,
            horizon,
            refit=refit,
            train_start=train_start,
            season=season,
        )
        for model in models
    ]
    rows = [
        {
            "model": r.model,
            **{m: r.metrics[m] for m in LEADERBOARD_METRICS},
            "n_forecasts": r.n_forecasts,
            "seconds": round(r.seconds, 3),
            "params": ", ".join(f"{k}={v}" for k, v in r.params.items()),
        }
        for r in results
    ]
    board = pd.DataFrame(rows).sort_values("mae", kind="mergesort", ignore_index=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    return Benchmark(board, results)
