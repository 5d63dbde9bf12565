"""ARIMA order search: fit every (order, seasonal_order) of a grid and rank them by AIC, BIC
or the MAE of a rolling-origin backtest.

``order_grid`` makes the grid from the values to try for each of p, d, q, P, D and Q;
``search_orders`` scores it and returns an ``OrderSearch`` whose ``save(folder)`` writes
search.csv and search.json."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.panel import refuse_panel
from seqcast.data.splits import date_slice
from seqcast.engines import Engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import backtest
from seqcast.models.arima import Arima, one_blas_thread
from seqcast.results import json_ready, results_dir, write_json

Order = tuple[int, int, int]
SeasonalOrder = tuple[int, int, int, int]


@dataclass
class OrderSearch:
    """Every candidate tried, best first: order, seasonal_order, aic, bic, mae, error."""

    target: str
    criterion: str
    table: pd.DataFrame

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: search.csv and search.json (the same rows)."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.table.to_csv(tmp / "search.csv", index=False)
            payload = {
                "target": self.target,
                "criterion": self.criterion,
                "candidates": self.table.to_dict("records"),
            }
            write_json(tmp / "search.json", json_ready(payload))
        return folder


def order_grid(
    p: Sequence[int],
    d: Sequence[int],
    q: Sequence[int],
    big_p: Sequence[int] = (0,),
    big_d: Sequence[int] = (0,),
    big_q: Sequence[int] = (0,),
    season: int = 0,
) -> tuple[list[Order], list[SeasonalOrder]]:
    """Every (p, d, q) and, when ``season`` >= 2, every (P, D, Q, season); a season of 0 or
    1 gives the one seasonal order (0, 0, 0, 0)."""
    orders = [(a, b, c) for a in p for b in d for c in q]
    if season < 2:
        return orders, [(0, 0, 0, 0)]
    return orders, [(a, b, c, season) for a in big_p for b in big_d for c in big_q]


def search_orders(
    data: pd.DataFrame,
    target: str,
    orders: Iterable[tuple[int, int, int]],
    seasonal_orders: Iterable[tuple[int, int, int, int]] = ((0, 0, 0, 0),),
    *,
    trend: str | None = None,
    criterion: str = "aic",
    fit_range: tuple[str | None, str | None] = (None, None),
    backtest_range: tuple[str, str] | None = None,
    horizon: int = 1,
    refit: bool = False,
    train_start: str | None = None,
    workers: int | Engine = 1,
) -> OrderSearch:
    """Fit every (order, seasonal_order) pair and rank them; every candidate tried.

    ``criterion="aic"`` (or ``"bic"``) fits each candidate once on ``data[target]`` between
    the dates of ``fit_range`` (inclusive; None: the data's first or last).
    ``criterion="mae"`` runs the rolling-origin backtest of each over ``backtest_range``
    (with ``horizon``, ``refit`` and ``train_start`` as in ``backtest``). A candidate that
    cannot be fitted keeps its row with the error. AIC only compares models with the same
    differencing (d, D): the likelihoods of differently differenced data differ.
    The candidates run on ``workers``: a number of local processes or an ``Engine``.
    """
    refuse_panel(data, "arima-search")
    if criterion not in ("aic", "bic", "mae"):
        raise SeqcastError(f"criterion must be aic, bic or mae, got {criterion!r}")
    if criterion == "mae" and backtest_range is None:
        raise SeqcastError("--criterion mae needs --start and --end (the backtest range)")
    if criterion != "mae":
        data = date_slice(data, *fit_range, what="fit range")
    candidates = [
        Arima(order=tuple(o), seasonal_order=tuple(so), trend=trend)  # type: ignore[arg-type]
        for o in orders
        for so in seasonal_orders
    ]
    if not candidates:
        raise SeqcastError("the search grid is empty")
    score = functools.partial(
        _score_candidate,
        data=data,
        target=target,
        criterion=criterion,
        backtest_range=backtest_range,
        horizon=horizon,
        refit=refit,
        train_start=train_start,
    )
    labels = [f"{m.order} x {m.seasonal_order}" for m in candidates]
    outcomes = run_tasks(
        score, candidates, workers, labels=labels, what="candidates", preload=Arima().preload
    )
    table = pd.DataFrame(outcomes)
    ranked = table.sort_values(criterion, na_position="last", kind="mergesort", ignore_index=True)
    return OrderSearch(target, criterion, ranked)


def _score_candidate(
    model: Arima,
    *,
    data: pd.DataFrame,
    target: str,
    criterion: str,
    backtest_range: tuple[str, str] | None,
    horizon: int,
    refit: bool,
    train_start: str | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order": ",".join(map(str, model.order)),
        "seasonal_order": ",".join(map(str, model.seasonal_order)),
        "aic": np.nan,
        "bic": np.nan,
        "mae": np.nan,
        "error": "",
    }
    try:
        if criterion == "mae":
            assert backtest_range is not None
            result = backtest(
                model, data, target, *backtest_range, horizon, refit=refit, train_start=train_start
            )
            row["mae"] = result.metrics["mae"]
        else:
            model.fit(data, target)
            with one_blas_thread(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = model.models_[0].filter(model.params_[0], cov_type="none")
            row["aic"], row["bic"] = float(fitted.aic), float(fitted.bic)
    except (SeqcastError, ValueError, np.linalg.LinAlgError) as exc:
        row["error"] = str(exc).splitlines()[0]
    return row
