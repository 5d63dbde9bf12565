"""Rolling-origin backtests: forecast H steps from every origin in a date range, and score.

An origin is the last observed timestamp before a forecast. ``start`` and ``end`` bound the
timestamps of the first forecast step (+1), so a one-step backtest from ``start`` to
``end`` forecasts exactly the days in that range, each from the day before. Every step of
every forecast must fall inside the data.

Symbols: O number of origins, H horizon, K number of target columns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.io import require_numeric, target_names, time_index
from seqcast.data.splits import date_slice
from seqcast.engines import Engine, as_engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.evaluation.metrics import seasonal_scale
from seqcast.evaluation.probabilistic import interval_scores
from seqcast.models.base import Forecaster, check_series
from seqcast.models.intervals import bound_columns, check_levels, level_name
from seqcast.results import json_ready, results_dir, write_json


@dataclass
class BacktestResult:
    """Forecasts and errors of one model over every origin.

    ``forecasts`` has one row per (origin, step, target): origin, time, step, target,
    forecast, actual, and with ``levels`` the bounds lo_L, hi_L of each level L.
    ``metrics`` pools every forecast; ``per_horizon`` has one row per step 1..H;
    ``per_target`` pools each target column on its own. With ``levels`` each of them also
    has coverage_L, width_L and msis_L (``seqcast.evaluation.probabilistic``).
    """

    model: str
    params: dict[str, Any]
    targets: list[str]
    horizon: int
    refit: bool
    forecasts: pd.DataFrame
    metrics: dict[str, float]
    per_horizon: pd.DataFrame
    per_target: dict[str, dict[str, float]]
    seconds: float
    notes: list[str] = field(default_factory=list)
    levels: tuple[float, ...] = ()
    scales: np.ndarray = field(default_factory=lambda: np.ones(1), repr=False)  # (K,) MASE's

    @property
    def n_forecasts(self) -> int:
        """The number of origins."""
        return int(self.forecasts["origin"].nunique())

    def to_dict(self) -> dict[str, Any]:
        """The content of ``metrics.json``; NaN (undefined metrics) becomes null."""
        return json_ready(
            {
                "model": self.model,
                "params": self.params,
                "target": self.targets[0] if len(self.targets) == 1 else self.targets,
                "horizon": self.horizon,
                "refit": self.refit,
                "levels": list(self.levels),
                "n_forecasts": self.n_forecasts,
                "first_origin": str(self.forecasts["origin"].iloc[0]),
                "last_origin": str(self.forecasts["origin"].iloc[-1]),
                **self.metrics,
                "per_horizon": {name: self.per_horizon[name].tolist() for name in self.per_horizon},
                "per_target": self.per_target,
                "seconds": self.seconds,
            }
        )

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder`` (refused if it exists; it appears only when complete):
        metrics.json (``to_dict``), forecasts.csv and per_horizon.csv; with ``levels``
        also fan.png (``fan_chart``)."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            write_json(tmp / "metrics.json", self.to_dict())
            self.forecasts.to_csv(tmp / "forecasts.csv", index=False)
            self.per_horizon.to_csv(tmp / "per_horizon.csv")
            if self.levels:
                self.fan_chart(tmp / "fan.png")
        return folder

    def fan_chart(self, path: str | Path, target: str | None = None) -> Path:
        """Draw the forecasts of ``target`` (default: the first) with their intervals
        against the truth: the 1-step forecasts over every origin for a one-step backtest,
        else the last origin's H steps."""
        from seqcast.plots import plot_fan

        if not self.levels:
            raise SeqcastError("this backtest has no intervals; run it with levels")
        name = target or self.targets[0]
        rows = self.forecasts[self.forecasts["target"] == name]
        if self.horizon == 1:
            what = "1-step forecasts"
        else:
            rows = rows[rows["origin"] == rows["origin"].iloc[-1]]
            what = f"{self.horizon} steps from {rows['origin'].iloc[0]}"
        rows = rows.set_index("time")
        bands = {
            level_name(level): (rows[f"lo_{level_name(level)}"], rows[f"hi_{level_name(level)}"])
            for level in self.levels
        }
        plot_fan(
            rows["forecast"],
            bands,
            Path(path),
            truth=rows["actual"],
            title=f"{self.model} on {name}: {what} with their intervals",
        )
        return Path(path)


def backtest(
    model: Forecaster,
    data: pd.DataFrame,
    targets: str | Sequence[str],
    start: str,
    end: str,
    horizon: int = 1,
    *,
    refit: bool = False,
    train_start: str | None = None,
    season: int = 1,
    workers: int | Engine = 1,
    levels: Sequence[float] | None = None,
) -> BacktestResult:
    """Forecast ``horizon`` steps from every origin whose +1 step lies in [start, end].

    Parameters
    ----------
    model : an unfitted forecaster; the backtest fits copies of it.
    data : regular time-indexed DataFrame (``seqcast.prepare_frame``).
    targets : the column(s) to forecast.
    refit : fit again at every origin on the data up to it (one instance is refitted, so a
        model with ``warm_start`` starts from the previous origin's estimates); otherwise fit
        once on the data up to the first origin and forecast later origins from their own
        history.
    train_start : the first timestamp any fit or forecast may use (default: the beginning).
    season : the season ``m`` of the MASE scale (seasonal-naive error on the training part).
    workers : with ``refit``, where the origins run: a number of local processes or an
        ``Engine`` (contiguous blocks of origins, one model each; the same forecasts on any).
    levels : interval levels in percent (e.g. 80, 95): the model's own intervals
        (``Forecaster.has_intervals``; ``seqcast.Conformal`` gives any model some) are
        forecast and scored too.
    """
    check_series(data)
    bands = check_levels(levels) if levels is not None else ()
    if bands:
        model.require_intervals()
    names = target_names(targets, data.columns)
    require_numeric(data, names)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise SeqcastError(f"horizon must be a positive integer, got {horizon!r}")
    origins, begin = _origins(model, data, start, end, horizon, train_start)
    engine = as_engine(workers)
    clock = time.perf_counter()
    task = partial(_forecast_origins, model, data, names, begin, horizon, refit, bands)
    with engine:
        count = min(engine.width(), len(origins)) if refit else 1  # one fit: one block
        blocks = [b for b in np.array_split(origins, count) if len(b)]
        labels = [f"origins {data.index[b[0]]} .. {data.index[b[-1]]}" for b in blocks]
        parts = run_tasks(
            task, blocks, engine, labels=labels, what="blocks of origins", preload=model.preload
        )
    forecast = np.concatenate(parts)  # (O, H, K, 1 + 2L)
    seconds = time.perf_counter() - clock
    values = data[names].to_numpy(dtype=float)  # (T, K)
    scales = np.array(
        [seasonal_scale(column, season) for column in values[begin : origins[0] + 1].T]
    )
    return _scored(
        model.name, model.params(), data, names, origins, refit, scales, forecast, bands, seconds
    )


def mean_of(data: pd.DataFrame, results: Sequence[BacktestResult], name: str) -> BacktestResult:
    """The backtest of the mean of ``results``' forecasts and bounds (runs of one model on
    ``data``, the same origins, targets and levels: seeds, say), called ``name``; its time
    is the runs' total."""
    first = results[0]
    columns = ["forecast", *bound_columns(first.levels)]
    keys = ["origin", "step", "target"]
    if any(not r.forecasts[keys].equals(first.forecasts[keys]) for r in results[1:]):
        raise SeqcastError(f"{name}: the runs forecast different origins or targets")
    origins = time_index(data).get_indexer(pd.Index(first.forecasts["origin"].unique()))
    mean = np.mean([r.forecasts[columns].to_numpy(dtype=float) for r in results], axis=0)
    forecast = mean.reshape(len(origins), first.horizon, len(first.targets), len(columns))
    seconds = sum(r.seconds for r in results)
    return _scored(
        name,
        first.params,
        data,
        first.targets,
        origins,
        first.refit,
        first.scales,
        forecast,
        first.levels,
        seconds,
    )


def _scored(
    model: str,
    params: dict[str, Any],
    data: pd.DataFrame,
    names: list[str],
    origins: np.ndarray,
    refit: bool,
    scales: np.ndarray,
    forecast: np.ndarray,
    bands: tuple[float, ...],
    seconds: float,
) -> BacktestResult:
    """The result of ``model``'s (O, H, K, 1 + 2L) forecasts from ``origins`` (rows of
    ``data``) of the targets ``names``, each scaled for MASE by ``scales`` (K,)."""
    horizon = forecast.shape[1]
    values = data[names].to_numpy(dtype=float)  # (T, K)
    steps = origins[:, None] + np.arange(1, horizon + 1)  # (O, H) positions of each step
    actuals = values[steps]  # (O, H, K)

    def scored(index: Any, k: slice = slice(None)) -> dict[str, float]:
        """The point and interval scores of the forecasts at ``index`` (of the targets k)."""
        actual, point = actuals[index][..., k], forecast[index][..., k, 0]
        result = metrics.scores(actual, point, scales[k])
        if bands:
            bounds = forecast[index][..., k, 1:]
            result |= interval_scores(actual, bounds, scales[k], bands)
        return result

    return BacktestResult(
        model=model,
        params=params,
        targets=names,
        horizon=horizon,
        refit=refit,
        forecasts=_long_forecasts(
            time_index(data), origins, steps, names, forecast, actuals, bands
        ),
        metrics=scored(Ellipsis),
        per_horizon=pd.DataFrame(
            [scored((slice(None), h)) for h in range(horizon)],
            index=pd.RangeIndex(1, horizon + 1, name="step"),
        ),
        per_target={name: scored(Ellipsis, slice(k, k + 1)) for k, name in enumerate(names)},
        seconds=seconds,
        levels=bands,
        scales=scales,
    )


def _origins(
    model: Forecaster,
    data: pd.DataFrame,
    start: str,
    end: str,
    horizon: int,
    train_start: str | None,
) -> tuple[np.ndarray, int]:
    """(O,) the rows of the origins whose first step lies in [start, end], each forecast
    inside the data, and the first row any fit may use (``train_start``'s); the first
    origin must leave ``model`` the history it needs."""
    first_steps = date_slice(data, start, end, what="backtest range")
    origins = data.index.get_indexer(first_steps.index) - 1  # the last observed steps
    if origins[-1] + horizon >= len(data):
        reach = data.index[-1] + (origins[-1] + horizon - len(data) + 1) * time_index(data).freq
        raise SeqcastError(
            f"the last forecast (+{horizon} from {data.index[origins[-1]]}) reaches {reach}, "
            f"after the data ends ({data.index[-1]}); move --end earlier or shorten the horizon"
        )
    begin = 0
    if train_start is not None:
        begin = int(
            data.index.searchsorted(
                date_slice(data, train_start, None, what="train start").index[0]
            )
        )
    history_len = origins[0] + 1 - begin
    if history_len < max(model.min_history, 1):
        raise SeqcastError(
            f"the first origin {data.index[max(origins[0], 0)]} leaves {max(history_len, 0)} "
            f"observed steps; {model.name} needs at least {model.min_history}"
        )
    return origins, begin


def _forecast_origins(
    model: Forecaster,
    data: pd.DataFrame,
    names: list[str],
    begin: int,
    horizon: int,
    refit: bool,
    levels: tuple[float, ...],
    origins: np.ndarray,
) -> np.ndarray:
    """(O, H, K, 1 + 2L) forecasts from each origin (a position in ``data``), in order,
    then the bounds of each level's interval."""
    instance = model.clone()
    if not refit:
        instance.fit(data.iloc[begin : origins[0] + 1], names)
        return instance.forecast_origins(data.iloc[begin:], origins - begin, horizon, levels)
    out = np.empty((len(origins), horizon, len(names), 1 + 2 * len(levels)))
    for i, origin in enumerate(origins):
        seen = data.iloc[begin : origin + 1]
        instance.fit(seen, names)
        ahead = data.iloc[origin + 1 : origin + 1 + horizon]  # known-ahead covariates, if any
        out[i] = instance.forecast_origins(seen, [len(seen) - 1], horizon, levels, ahead)[0]
    return out


def _long_forecasts(
    index: pd.DatetimeIndex,
    origins: np.ndarray,
    steps: np.ndarray,
    names: list[str],
    forecast: np.ndarray,
    actual: np.ndarray,
    levels: tuple[float, ...],
) -> pd.DataFrame:
    """One row per (origin, step, target) of ``forecast`` (O, H, K, 1 + 2L)."""
    n_origins, horizon, k = actual.shape
    intervals = {
        name: forecast[..., b].ravel() for b, name in enumerate(bound_columns(levels), start=1)
    }
    return pd.DataFrame(
        {
            "origin": np.repeat(index[origins], horizon * k),
            "time": np.repeat(index[steps.ravel()], k),
            "step": np.tile(np.repeat(np.arange(1, horizon + 1), k), n_origins),
            "target": np.tile(names, n_origins * horizon),
            "forecast": forecast[..., 0].ravel(),
            "actual": actual.ravel(),
            **intervals,
        }
    )
