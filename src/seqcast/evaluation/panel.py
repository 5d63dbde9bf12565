"""Backtests and leaderboards over many series (a panel), scored as the M4 competition scores.

Symbols: N series, W windows per series, H horizon, K targets (one here: ``target``).

Every series is cut ``windows`` times at its end, ``horizon`` steps apart: the last window
forecasts its final H steps (M4's test period when W = 1), the one before it the H steps
before those, and so on. A model is fitted on each series' data before its first window and
forecasts the later windows from their own history (no refitting):

- a local model (one per series) is fitted on an engine (``workers`` local processes, or
  Ray), the same forecasts on any; a series whose model raises is reported by its id in
  ``failures`` and left out of the scores, the other series are kept. A model that gives
  ``_forecast_grouped`` (the baselines, M4's statistical models) works on the panel's
  target as one array with per-series offsets, in groups of series, with no frame per
  series; the others get each series as a frame;
- a global model (the neural ones) trains once on the panel cut before the first window.

Per series: sMAPE (%), MASE (the mean absolute error over the in-sample seasonal-naive MAE
of the fitted part, period m) and MAE over its W·H forecast steps; with interval ``levels``
also each level's coverage (a share), width and MSIS (M4's, scaled like MASE), and over the
panel ACD, the absolute difference between the coverage and the level (M4's interval track
scored 95 % intervals by MSIS and ACD). A model's score is the
mean over series (M4's averages), and at each step ahead the mean over series of that
step. The leaderboard ranks by OWA: the mean of sMAPE and MASE each relative to Naive2's on
the same windows (Naive2 runs as the reference when it is not among the models).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.panel import (
    check_panel,
    drop_last,
    iter_series,
    series_ids,
    series_lengths,
    series_starts,
)
from seqcast.engines import (
    SERIES_TASKS_PER_WORKER,
    Engine,
    TaskFailures,
    as_engine,
    run_tasks,
)
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.evaluation.metrics import seasonal_scales
from seqcast.evaluation.probabilistic import coverage, interval_score, interval_width
from seqcast.models.base import Forecaster
from seqcast.models.intervals import bound_columns, check_levels, level_name
from seqcast.results import json_ready, results_dir, write_json


@dataclass
class PanelBacktestResult:
    """One model's forecasts and errors over a panel.

    ``forecasts`` has one row per (series, window, step): id, window (1 = the earliest),
    origin, time, step, forecast, actual (and lo_L, hi_L per interval level L).
    ``per_series`` has a row per series and ``per_horizon`` a row per step 1..H (means over
    series); ``metrics`` the means over series (and acd_L per level).
    """

    model: str
    params: dict[str, Any]
    target: str
    horizon: int
    windows: int
    season: int
    forecasts: pd.DataFrame
    per_series: pd.DataFrame
    per_horizon: pd.DataFrame
    metrics: dict[str, float]
    seconds: float
    failures: dict[str, str] = field(default_factory=dict)
    levels: tuple[float, ...] = ()
    padded: int = 0  # series a global model padded, shorter than one window

    @property
    def n_series(self) -> int:
        """The series scored (those in ``failures`` are not)."""
        return len(self.per_series)

    @property
    def unscaled(self) -> list[Any]:
        """The series without a MASE scale (constant at the season's lag, or no longer than
        one season before the forecasts): their MASE and MSIS are undefined, and the means
        of MASE, MSIS and OWA leave them out (their sMAPE, MAE, ... are counted)."""
        return self.per_series.index[self.per_series["mase"].isna()].tolist()

    def submission(self) -> pd.DataFrame:
        """The last window's forecasts in M4's layout: id, then F1..FH (one reshape: the
        forecasts are by series, window and step)."""
        last = self.forecasts[self.forecasts["window"] == self.windows]
        steps = last["forecast"].to_numpy().reshape(-1, self.horizon)  # (N, H)
        table = pd.DataFrame(steps, columns=[f"F{step}" for step in range(1, self.horizon + 1)])
        table.insert(0, "id", last["id"].to_numpy()[:: self.horizon])
        return table

    def to_dict(self) -> dict[str, Any]:
        return json_ready(
            {
                "model": self.model,
                "params": self.params,
                "target": self.target,
                "horizon": self.horizon,
                "windows": self.windows,
                "season": self.season,
                "series": self.n_series,
                "failures": self.failures,
                "left_out_of_mase": self.unscaled,
                "padded": self.padded,
                "levels": list(self.levels),
                **self.metrics,
                "per_horizon": {name: self.per_horizon[name].tolist() for name in self.per_horizon},
                "seconds": self.seconds,
            }
        )

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: metrics.json, forecasts.csv, per_series.csv,
        per_horizon.csv and submission.csv (M4's layout); with ``levels`` also fan.png
        (``fan_chart``)."""
        folder = Path(folder)
        with results_dir(folder) as tmp:
            write_json(tmp / "metrics.json", self.to_dict())
            self.forecasts.to_csv(tmp / "forecasts.csv", index=False)
            self.per_series.to_csv(tmp / "per_series.csv")
            self.per_horizon.to_csv(tmp / "per_horizon.csv")
            self.submission().to_csv(tmp / "submission.csv", index=False)
            if self.levels:
                self.fan_chart(tmp / "fan.png")
        return folder

    def fan_chart(self, path: str | Path, series: Any = None) -> Path:
        """Draw one series' last window (default: the series of median sMAPE) with its
        intervals against the truth."""
        from seqcast.plots import plot_fan

        if not self.levels:
            raise SeqcastError("this backtest has no intervals; run it with levels")
        if series is None:
            order = self.per_series["smape"].sort_values(kind="mergesort").index
            series = order[(len(order) - 1) // 2]
        rows = self.forecasts[
            (self.forecasts["id"] == series) & (self.forecasts["window"] == self.windows)
        ].set_index("time")
        if rows.empty:
            raise SeqcastError(f"no series {series!r} in this backtest")
        names = [level_name(level) for level in self.levels]
        plot_fan(
            rows["forecast"],
            {name: (rows[f"lo_{name}"], rows[f"hi_{name}"]) for name in names},
            Path(path),
            truth=rows["actual"],
            title=f"{self.model} on series {series}: the last {self.horizon} steps",
        )
        return Path(path)


def unscaled_note(result: PanelBacktestResult) -> str:
    """Which series the means of MASE, MSIS and OWA leave out, and why, in words."""
    left = result.unscaled
    shown = ", ".join(map(str, left[:5])) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return (
        f"{len(left)} of {result.n_series} series with no MASE scale (the same value a "
        f"season of {result.season} apart throughout, or no longer than one season): {shown}"
    )


def panel_backtest(
    model: Forecaster,
    panel: pd.DataFrame,
    target: str,
    horizon: int,
    *,
    windows: int = 1,
    season: int = 1,
    workers: int | Engine = 1,
    levels: Sequence[float] | None = None,
) -> PanelBacktestResult:
    """Forecast the last ``windows`` x ``horizon`` steps of every series of ``panel``.

    ``model`` is unfitted; it is fitted on each series' data before its first window (a
    global model once on all of them). ``season`` is MASE's m. The series of a local model
    run on ``workers``: a number of local processes or an ``Engine``. ``levels`` (percent)
    asks for the model's intervals too (``seqcast.Conformal`` gives any model some).
    """
    for name, value in (("horizon", horizon), ("windows", windows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SeqcastError(f"{name} must be a positive integer, got {value!r}")
    engine = as_engine(workers)
    bands = check_levels(levels) if levels is not None else ()
    if bands:
        model.require_intervals()
    held = windows * horizon
    check_panel(
        panel, [target], model.min_panel_history + held, f"{model.name} with {held} held out"
    )
    series = _Grouped.of(panel, target)
    longest = int(series.lengths.max()) - held
    if longest <= season:
        raise SeqcastError(
            f"season {season} leaves no series a MASE scale: the longest has {longest} steps "
            "before its forecasts (MASE and Naive2 need more than one season)"
        )
    clock = time.perf_counter()
    ends = series.starts + series.lengths - held - 1  # (N,) each series' last fitted row
    origins = ends[:, None] + horizon * np.arange(windows)  # (N, W)
    kept = np.arange(len(series.ids))
    failures: dict[str, str] = {}
    padded = 0
    if model.is_global:  # fitted on the panel as a whole
        fitted = model.clone().fit(drop_last(panel, held), target, workers=engine)
        padded = int(getattr(fitted, "padded_", 0))
        rows = origins.T.reshape(-1)  # (W·N,): every series' first window's origin, then ...
        runs = fitted.forecast_origins(panel, rows, horizon, bands)  # (W·N, H, 1, 1 + 2L)
        forecast = runs[:, :, 0].reshape(windows, len(kept), horizon, -1).transpose(1, 0, 2, 3)
    else:
        shortcut = None
        if model.grouped and not bands:  # every series at once
            shortcut = _grouped_forecasts(model, series, held, origins, horizon, engine)
        if shortcut is not None and np.isfinite(shortcut).all():
            forecast = shortcut[..., None]  # (N, W, H, 1)
        else:  # each series fitted on its own, on the engine's workers
            forecast, kept, failures = _each_series(
                model, panel, target, horizon, windows, bands, engine
            )
    seconds = time.perf_counter() - clock
    scored = series.subset(kept)
    result = _score(model.name, model.params(), scored, target, windows, season, forecast, bands)
    result.seconds, result.failures, result.padded = seconds, failures, padded
    return result


def mean_of(
    panel: pd.DataFrame, results: Sequence[PanelBacktestResult], name: str
) -> PanelBacktestResult:
    """The panel backtest of the mean of ``results``' forecasts and bounds (runs of one
    model on ``panel``, the same series, windows and levels: seeds, say), called ``name``;
    its time is the runs' total."""
    first = results[0]
    columns = ["forecast", *bound_columns(first.levels)]
    keys = ["id", "window", "step"]
    if any(not r.forecasts[keys].equals(first.forecasts[keys]) for r in results[1:]):
        raise SeqcastError(f"{name}: the runs forecast different series or windows")
    series = _Grouped.of(panel, first.target)
    number = {key: i for i, key in enumerate(series.ids)}
    kept = np.array([number[key] for key in first.per_series.index])
    mean = np.mean([r.forecasts[columns].to_numpy(dtype=float) for r in results], axis=0)
    forecast = mean.reshape(len(kept), first.windows, first.horizon, len(columns))
    result = _score(
        name,
        first.params,
        series.subset(kept),
        first.target,
        first.windows,
        first.season,
        forecast,
        first.levels,
    )
    result.seconds = sum(r.seconds for r in results)
    result.padded = first.padded
    return result


@dataclass(frozen=True)
class _Grouped:
    """A panel's target as one array: ``values`` (R,) and ``times`` (R,), the series one
    after another, series i from row ``starts[i]`` for ``lengths[i]`` rows, named ``ids``."""

    ids: list[Any]
    values: np.ndarray
    times: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, panel: pd.DataFrame, target: str) -> _Grouped:
        values = panel[target].to_numpy(dtype=float)
        times = panel.index.get_level_values(1).to_numpy()
        starts, lengths = series_starts(panel), series_lengths(panel)
        return cls(series_ids(panel), values, times, starts, lengths)

    def subset(self, kept: np.ndarray) -> _Grouped:
        """The series numbered ``kept`` (the arrays stay whole; starts point into them)."""
        ids = [self.ids[i] for i in kept]
        return _Grouped(ids, self.values, self.times, self.starts[kept], self.lengths[kept])


def _grouped_forecasts(
    model: Forecaster,
    series: _Grouped,
    held: int,
    origins: np.ndarray,
    horizon: int,
    engine: Engine,
) -> np.ndarray | None:
    """(N, W, H) forecasts of ``model._forecast_grouped`` from ``origins`` (N, W), the
    series in contiguous groups on the engine's workers (in this process for one); None
    when a group raised (then each series is run on its own, naming the ones at fault)."""
    fitted = series.lengths - held
    if engine.in_process:
        try:
            return model._forecast_grouped(series.values, series.starts, fitted, origins, horizon)
        except Exception:  # each on its own says which series
            return None
    with engine:
        count = min(len(series.ids), SERIES_TASKS_PER_WORKER * engine.width())
        groups = []
        for members in np.array_split(np.arange(len(series.ids)), count):
            first = series.starts[members[0]]
            last = series.starts[members[-1]] + series.lengths[members[-1]]
            starts, ends = series.starts[members] - first, origins[members] - first
            groups.append((series.values[first:last], starts, fitted[members], ends))
        task = functools.partial(_forecast_group, model, horizon)
        try:
            parts = run_tasks(task, groups, engine, what="groups of series", preload=model.preload)
        except TaskFailures:
            return None
    return np.concatenate(parts)


def _forecast_group(
    model: Forecaster, horizon: int, group: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """Runs on a worker: ``model._forecast_grouped`` of one group of series."""
    return model._forecast_grouped(*group, horizon)


def _each_series(
    model: Forecaster,
    panel: pd.DataFrame,
    target: str,
    horizon: int,
    windows: int,
    bands: tuple[float, ...],
    engine: Engine,
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """(N', W, H, 1 + 2L) forecasts of a local model fitted to each series on its own, the
    numbers of the N' series that gave them, and the errors of the others by id."""
    ids = series_ids(panel)
    frames = [frame for _, frame in iter_series(panel)]
    task = functools.partial(_local_forecasts, model, target, horizon, windows, bands)
    try:
        parts = run_tasks(
            task,
            frames,
            engine,
            labels=[str(name) for name in ids],
            what="series",
            tasks_per_worker=SERIES_TASKS_PER_WORKER,
            preload=model.preload,
        )
        return np.stack(parts), np.arange(len(ids)), {}
    except TaskFailures as failed:  # score the others; report these
        kept = [i for i, part in enumerate(failed.results) if part is not None]
        if not kept:
            raise
        forecast = np.stack([np.asarray(failed.results[i]) for i in kept])
        return forecast, np.array(kept), failed.failures


def _local_forecasts(
    model: Forecaster,
    target: str,
    horizon: int,
    windows: int,
    levels: tuple[float, ...],
    frame: pd.DataFrame,
) -> np.ndarray:
    """(W, H, 1 + 2L) forecasts of a copy of ``model`` fitted to ``frame``, one series,
    then the bounds of each level's interval."""
    held = windows * horizon
    fitted = model.clone().fit(frame.iloc[: len(frame) - held], target)
    origins = len(frame) - held - 1 + horizon * np.arange(windows)
    return fitted.forecast_origins(frame, origins, horizon, levels)[:, :, 0]


def _score(
    model: str,
    params: dict[str, Any],
    series: _Grouped,
    target: str,
    windows: int,
    season: int,
    forecast: np.ndarray,
    levels: tuple[float, ...],
) -> PanelBacktestResult:
    """The result of ``model``'s (N, W, H, 1 + 2L) forecasts (and interval bounds) of the
    last W x H steps of each of ``series`` (its time 0 until the caller sets it)."""
    horizon = forecast.shape[2]
    held = windows * horizon
    n = len(series.ids)
    predicted = forecast[..., 0]
    first = series.starts + series.lengths - held  # (N,) each series' first held-out row
    rows = first[:, None] + np.arange(held)  # (N, W·H)
    actual = series.values[rows].reshape(n, windows, horizon)
    scales = seasonal_scales(series.values, series.starts, first, season)  # over the fit part
    per_series = pd.DataFrame(
        metrics.series_scores(actual, predicted, scales), index=pd.Index(series.ids, name="id")
    )
    # at each step h: the mean over series of each one's score there
    at_step = metrics.series_scores(actual, predicted, scales, axis=1)  # (N, H) each
    steps = {name: metrics.mean_over_series(value) for name, value in at_step.items()}
    for i, level in enumerate(levels):
        name, alpha = level_name(level), 1 - level / 100
        lower, upper = forecast[..., 1 + 2 * i], forecast[..., 2 + 2 * i]  # (N, W, H)
        score = interval_score(actual, lower, upper, alpha).mean(axis=1)  # (N, H)
        per_series[f"coverage_{name}"] = coverage(actual, lower, upper, axis=(1, 2))
        per_series[f"width_{name}"] = interval_width(lower, upper, axis=(1, 2))
        per_series[f"msis_{name}"] = score.mean(axis=1) / scales
        steps[f"coverage_{name}"] = coverage(actual, lower, upper, axis=(0, 1))
        steps[f"msis_{name}"] = metrics.mean_over_series(score / scales[:, None])
    per_horizon = pd.DataFrame(steps, index=pd.RangeIndex(1, horizon + 1, name="step"))
    summary = {str(name): float(metrics.mean_over_series(per_series[name])) for name in per_series}
    for level in levels:
        summary[f"acd_{level_name(level)}"] = abs(
            summary[f"coverage_{level_name(level)}"] - level / 100
        )
    return PanelBacktestResult(
        model=model,
        params=params,
        target=target,
        horizon=horizon,
        windows=windows,
        season=season,
        forecasts=_long_forecasts(series, rows, windows, horizon, forecast, actual, levels),
        per_series=per_series,
        per_horizon=per_horizon,
        metrics=summary,
        seconds=0.0,
        levels=levels,
    )


def _long_forecasts(
    series: _Grouped,
    rows: np.ndarray,
    windows: int,
    horizon: int,
    forecast: np.ndarray,
    actual: np.ndarray,
    levels: tuple[float, ...],
) -> pd.DataFrame:
    """One row per (series, window, step) of ``forecast`` (N, W, H, 1 + 2L); ``rows``
    (N, W·H) are the rows of ``series`` the steps forecast."""
    held = windows * horizon
    n = len(series.ids)
    bounds = {
        name: forecast[..., b].ravel() for b, name in enumerate(bound_columns(levels), start=1)
    }
    origins = rows[:, ::horizon] - 1  # (N, W): the row before each window
    return pd.DataFrame(
        {
            "id": np.repeat(np.asarray(series.ids, dtype=object), held),
            "window": np.tile(np.repeat(np.arange(1, windows + 1), horizon), n),
            "origin": np.repeat(series.times[origins].ravel(), horizon),
            "time": series.times[rows].ravel(),
            "step": np.tile(np.arange(1, horizon + 1), n * windows),
            "forecast": forecast[..., 0].ravel(),
            "actual": actual.ravel(),
            **bounds,
        }
    )
