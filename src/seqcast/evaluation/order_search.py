"""ARIMA order search: fit every (order, seasonal_order) of a grid and rank them by AIC, BIC
or the MAE of a rolling-origin backtest."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import backtest
from seqcast.models.arima import Arima, one_blas_thread
from seqcast.processes import process_map


def search_orders(
    data: pd.DataFrame,
    target: str,
    orders: Iterable[tuple[int, int, int]],
    seasonal_orders: Iterable[tuple[int, int, int, int]] = ((0, 0, 0, 0),),
    *,
    trend: str | None = None,
    criterion: str = "aic",
    backtest_range: tuple[str, str] | None = None,
    horizon: int = 1,
    refit: bool = False,
    train_start: str | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Fit every (order, seasonal_order) pair and rank them; the table of all that was tried.

    ``criterion="aic"`` (or ``"bic"``) fits each candidate once on ``data[target]``.
    ``criterion="mae"`` runs the rolling-origin backtest of each over ``backtest_range``
    (with ``horizon``, ``refit`` and ``train_start`` as in ``backtest``). A candidate that
    cannot be fitted keeps its row with the error. AIC only compares models with the same
    differencing (d, D): the likelihoods of differently differenced data differ.
    """
    if criterion not in ("aic", "bic", "mae"):
        raise SeqcastError(f"criterion must be aic, bic or mae, got {criterion!r}")
    if criterion == "mae" and backtest_range is None:
        raise SeqcastError("the mae criterion needs a backtest range (start, end)")
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
    table = pd.DataFrame(process_map(score, candidates, workers))
    return table.sort_values(criterion, na_position="last", kind="mergesort", ignore_index=True)


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
