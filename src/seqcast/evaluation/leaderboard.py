"""Leaderboards: one row per model, every model scored the same way, best first.

A series' board ranks by MAE: the model, every metric of
``seqcast.evaluation.metrics.METRICS``, each interval level's coverage, width and MSIS, the
number of origins, the seconds and the parameters that differ from the model's defaults.
A panel's board ranks by M4's OWA (sMAPE and MASE each relative to Naive2's on the same
series): the model, sMAPE, MASE, OWA, each level's coverage, ACD and MSIS, the other
metrics, the series that failed, the series a global model padded (when one did: shorter
than one window), the seconds and the parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from seqcast.evaluation import metrics
from seqcast.evaluation.backtest import BacktestResult
from seqcast.evaluation.panel import PanelBacktestResult
from seqcast.models.base import Forecaster
from seqcast.models.intervals import level_name

RANKED_BY = "mae"  # a series' board
PANEL_SCORES = ("smape", "mase")  # what OWA is made of, first on a panel's board


def series_board(
    results: Sequence[BacktestResult],
    models: Sequence[Forecaster],
    failed: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The board of ``models``' backtests on one series, best MAE first; each model that
    ``failed`` is a row at the end with its error."""
    rows = [
        {
            "model": r.model,
            **{name: r.metrics[name] for name in metrics.METRICS},
            **{column: r.metrics[column] for column in interval_columns(r.levels, "width")},
            "n_forecasts": r.n_forecasts,
            "seconds": round(r.seconds, 3),
            "params": params_text(model),
        }
        for r, model in zip(results, models, strict=True)
    ]
    return _ranked(rows, RANKED_BY, failed)


def panel_board(
    results: Sequence[PanelBacktestResult],
    models: Sequence[Forecaster],
    reference: PanelBacktestResult,
    failed: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The board of ``models``' panel backtests, best OWA first; OWA is against the
    ``reference`` (Naive2) on the series each model forecast. Each model that ``failed``
    is a row at the end with its error."""
    rest = [name for name in metrics.METRICS if name not in PANEL_SCORES]
    rows = []
    for r, model in zip(results, models, strict=True):
        base = reference.per_series.reindex(r.per_series.index)  # the same series
        smape_base, mase_base = (metrics.mean_over_series(base[name]) for name in PANEL_SCORES)
        rows.append(
            {
                "model": r.model,
                **{name: r.metrics[name] for name in PANEL_SCORES},
                "owa": metrics.owa(r.metrics["smape"], r.metrics["mase"], smape_base, mase_base),
                **{column: r.metrics[column] for column in interval_columns(r.levels, "acd")},
                **{name: r.metrics[name] for name in rest},
                "failed": len(r.failures),
                **({"padded": r.padded} if any(r.padded for r in results) else {}),
                "seconds": round(r.seconds, 3),
                "params": params_text(model),
            }
        )
    return _ranked(rows, "owa", failed)


def _ranked(rows: list[dict[str, object]], by: str, failed: dict[str, str] | None) -> pd.DataFrame:
    """The rows sorted by ``by`` and ranked, then a row per failed model with its error
    (and no rank)."""
    board = pd.DataFrame(rows).sort_values(by, kind="mergesort", ignore_index=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    if not failed:
        return board
    errors = pd.DataFrame({"model": list(failed), "error": list(failed.values())})
    return pd.concat([board, errors], ignore_index=True)


def interval_columns(levels: Sequence[float], middle: str) -> list[str]:
    """coverage_L, ``middle``_L (width or acd) and msis_L for each level L."""
    return [
        f"{score}_{level_name(level)}" for level in levels for score in ("coverage", middle, "msis")
    ]


def params_text(model: Forecaster) -> str:
    """``k=v, ...`` for the parameters that differ from the model's defaults."""
    return ", ".join(f"{k}={v}" for k, v in model.changed_params().items())
