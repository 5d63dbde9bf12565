"""Conformal prediction intervals around any forecaster, from its own rolling-origin errors.

Symbols: N series (1 for one series), O calibration origins, H horizon, K targets, L levels.

``Conformal(model, horizon, origins)`` fits ``model`` on the data without its last
C = H + (O − 1)·stride steps, forecasts H steps from each of O origins in them (``stride``
apart, the last one's H steps ending with the data) and keeps the absolute errors
(O, H, K): the calibration set, which lies strictly before anything the wrapper forecasts
later. With ``refit`` (the default) the model is then fitted again on all the data, so the
point forecasts are the model's own; without, the calibrated fit forecasts too.

The level-L interval at step h is the forecast ± the ⌈(O + 1)·L/100⌉-th smallest of the O
errors at step h: split conformal prediction per step (Vovk et al. 2005; Stankeviciute et
al. 2021), which covers at least L % when the errors are exchangeable, and is wider h steps
ahead when errors grow with h. A level that needs more origins than there are is an error.

On a panel, ``pool="series"`` calibrates each series on its own errors. ``pool="panel"``
divides each series' errors by its scale (MASE's seasonal-naive MAE, period ``season``, on
the data before the calibration), ranks all N·O of them at each step, and multiplies the
quantile back by each series' scale: the series lend each other calibration points.
A neural (global) model is fitted once on the whole panel, a local model once per series.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar, Literal, cast

import numpy as np
import pandas as pd

from seqcast.data.panel import (
    drop_last,
    iter_series,
    series_ids,
    series_lengths,
    series_of_rows,
    series_starts,
)
from seqcast.engines import Engine
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.models.base import Forecaster
from seqcast.models.intervals import check_levels, symmetric_bounds

Pool = Literal["series", "panel"]


@dataclass
class Conformal(Forecaster):
    """Conformal intervals around ``model`` (see the module docstring).

    model : an unfitted forecaster (any: baseline, statistical, neural).
    horizon : H, the steps ahead calibrated (intervals for steps 1..H).
    origins : O, the calibration origins (95 % intervals need at least 19).
    stride : the steps between calibration origins.
    refit : fit ``model`` again on all the data after calibrating.
    pool : ``series`` or ``panel`` (a panel's scaled errors ranked together).
    season : m of the scale ``pool="panel"`` divides by.
    """

    model: Forecaster
    horizon: int = 1
    origins: int = 100
    stride: int = 1
    refit: bool = True
    pool: Pool = "series"
    season: int = 1

    # fit takes a panel as a whole: a pool ranks every series' errors together
    is_global: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.model, Forecaster):
            raise SeqcastError(f"conformal wraps a forecaster, got {type(self.model).__name__}")
        for name in ("horizon", "origins", "stride", "season"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SeqcastError(f"conformal: {name} must be a positive integer, got {value!r}")
        if self.pool not in ("series", "panel"):
            raise SeqcastError(f"conformal: pool must be series or panel, got {self.pool!r}")
        self.name = f"{self.model.name}+conformal"  # type: ignore[misc]  # per instance

    @property
    def calibration_steps(self) -> int:
        """C, the steps at the end of the data whose forecasts calibrate."""
        return self.horizon + (self.origins - 1) * self.stride

    @property
    def min_history(self) -> int:
        return self.model.min_history + self.calibration_steps

    def too_short(self, steps: int) -> str:
        """Says how many calibration origins fit in ``steps`` (the CLI's --calibration)."""
        room = (steps - self.model.min_history - self.horizon) // self.stride + 1
        fits = (
            f"at most {room} fit in {steps} steps"
            if room >= 1
            else f"none fit in {steps} steps: {self.model.name} alone needs "
            f"{self.model.min_history + self.horizon}"
        )
        return (
            f"{self.name}: {self.origins} calibration origins of {self.horizon} steps need "
            f"{self.min_history} observed steps; lower the origins (--calibration): {fits}"
        )

    @property
    def future_columns(self) -> list[str]:
        return self.model.future_columns

    @property
    def preload(self) -> tuple[str, ...]:
        return self.model.preload

    @property
    def has_intervals(self) -> bool:
        return True

    def params(self) -> dict[str, object]:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**fields, "model": {"name": self.model.name, **self.model.params()}}

    def changed_params(self) -> dict[str, object]:
        changed = {f"model.{k}": v for k, v in self.model.changed_params().items()}
        for f in dataclasses.fields(self):
            if f.name != "model" and getattr(self, f.name) != f.default:
                changed[f.name] = getattr(self, f.name)
        return changed

    def clone(self) -> Conformal:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return Conformal(**{**fields, "model": self.model.clone()})

    @classmethod
    def calibrated(
        cls, fitted: Forecaster, data: pd.DataFrame, horizon: int, origins: int = 100
    ) -> Conformal:
        """Conformal intervals around an already ``fitted`` model (a saved checkpoint, say),
        calibrated on its errors over the last steps of ``data`` (one series), from which
        it then forecasts. Those steps should come after the data it was trained on: on
        steps it learned from, its errors are too small and so are the intervals."""
        wrapper = cls(fitted, horizon, origins, refit=False)
        targets = list(getattr(fitted, "targets_", []))
        if not targets:
            raise SeqcastError(f"{fitted.name} is not fitted; call fit(data) first")
        wrapper._start_fit(data, targets)
        if wrapper.series_ids_ is not None:
            raise SeqcastError("calibrating a fitted model takes one series, not a panel")
        wrapper._calibrate(fitted, data)
        return wrapper

    # --- fitting: calibrate, then (with refit) fit again ----------------------------------

    def _fit(self, data: pd.DataFrame) -> None:
        first = self.model.clone().fit(
            data.iloc[: len(data) - self.calibration_steps], self.targets_
        )
        self._calibrate(first, data)
        self.fitted_ = self.model.clone().fit(data, self.targets_) if self.refit else first

    def _calibrate(self, fitted: Forecaster, data: pd.DataFrame) -> None:
        """Keep ``fitted``'s errors over the calibration origins of one series ``data``;
        ``fitted`` forecasts until a refit replaces it."""
        steps = self.calibration_steps
        origins = len(data) - steps - 1 + self.stride * np.arange(self.origins)  # (O,)
        predicted = fitted.forecast_origins(data, origins, self.horizon)[..., 0]  # (O, H, K)
        values = data[self.targets_].to_numpy(dtype=float)
        actual = values[origins[:, None] + np.arange(1, self.horizon + 1)]
        self.errors_ = np.abs(actual - predicted)[None]  # (1, O, H, K)
        self.scales_ = _scales([values[: len(data) - steps]], self.season)  # (1, K)
        self.fitted_ = fitted

    def _fit_panel(self, panel: pd.DataFrame, workers: int | Engine) -> None:
        steps = self.calibration_steps
        if not self.model.is_global:  # a copy of self per series
            super()._fit_panel(panel, workers)
            units = [cast(Conformal, self.series_models_[key]) for key in self.series_ids_ or []]
            self.errors_ = np.concatenate([unit.errors_ for unit in units])
            self.scales_ = np.concatenate([unit.scales_ for unit in units])
            return
        first = self.model.clone().fit(drop_last(panel, steps), self.targets_)
        lengths = series_lengths(panel)
        # (O·N,) rows: the first origin of every series, then the second, ...
        ends = series_starts(panel) + lengths - steps - 1
        rows = (ends[None, :] + self.stride * np.arange(self.origins)[:, None]).reshape(-1)
        forecast = first.forecast_origins(panel, rows, self.horizon)[..., 0]  # (O·N, H, K)
        predicted = forecast.reshape(self.origins, len(lengths), *forecast.shape[1:])
        predicted = predicted.transpose(1, 0, 2, 3)  # (N, O, H, K)
        frames = [frame[self.targets_].to_numpy(dtype=float) for _, frame in iter_series(panel)]
        own = (lengths - steps - 1)[:, None] + self.stride * np.arange(self.origins)  # (N, O)
        ahead = own[:, :, None] + np.arange(1, self.horizon + 1)  # (N, O, H)
        actual = np.stack([values[rows] for values, rows in zip(frames, ahead, strict=True)])
        self.errors_ = np.abs(actual - predicted)  # (N, O, H, K)
        self.scales_ = _scales([values[: len(values) - steps] for values in frames], self.season)
        self.fitted_ = self.model.clone().fit(panel, self.targets_) if self.refit else first

    # --- forecasting: the wrapped model's forecasts, ± the calibrated half widths ----------

    def _forecast_series(
        self,
        data: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        point = self.fitted_.forecast_origins(data, origins, horizon, future=future)
        return self._around(point[..., 0], np.zeros(len(origins), dtype=np.int64), levels)

    def _forecast_panel(
        self,
        panel: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """The wrapped model's forecasts (a global model's, or each series' own) ± each
        series' half widths (pooled over the panel or its own)."""
        if self.model.is_global:
            point = self.fitted_.forecast_origins(panel, origins, horizon, future=future)
        else:
            point = super()._forecast_panel(panel, origins, horizon, (), future)
        position = {key: i for i, key in enumerate(self.series_ids_ or [])}
        numbers = []
        for key in series_ids(panel):
            if key not in position:
                raise SeqcastError(f"{self.name} was not fitted on a series {key!r}")
            numbers.append(position[key])
        fitted_rows = np.asarray(numbers, dtype=np.int64)[series_of_rows(panel, origins)]
        return self._around(point[..., 0], fitted_rows, levels)

    def _around(
        self, point: np.ndarray, series: np.ndarray, levels: tuple[float, ...]
    ) -> np.ndarray:
        """(O, H, K, 1 + 2L): ``point`` (O, H, K), then its bounds ± the half widths of
        each origin's fitted series (O,)."""
        if not levels:
            return point[..., None]
        half = self.half_widths(levels, point.shape[1])[series]  # (O, H, K, L)
        return np.concatenate([point[..., None], symmetric_bounds(point, half)], axis=-1)

    def half_widths(self, levels: tuple[float, ...], n: int) -> np.ndarray:
        """(N, n, K, L) the intervals' half widths for the first ``n`` steps, per series."""
        if n > self.horizon:
            raise SeqcastError(
                f"{self.name} calibrated intervals for {self.horizon} steps; asked for {n} "
                f"(raise horizon)"
            )
        if not hasattr(self, "errors_"):
            raise SeqcastError(f"{self.name} is not fitted; call fit(data) first")
        scaled = self.errors_[:, :, :n] / self.scales_[:, None, None]  # (N, O, n, K)
        count = scaled.shape[1] if self.pool == "series" else scaled.shape[0] * scaled.shape[1]
        columns = []
        for level in levels:
            rank = math.ceil((count + 1) * level / 100)
            if rank > count:
                needed = math.ceil(100 / (100 - level)) - 1
                raise SeqcastError(
                    f"{level:g} % conformal intervals need at least {needed} calibration "
                    f"errors per step, {self.name} has {count}; raise origins"
                )
            if self.pool == "series":
                quantile = np.sort(scaled, axis=1)[:, rank - 1]  # (N, n, K)
            else:
                quantile = np.sort(scaled.reshape(-1, *scaled.shape[2:]), axis=0)[rank - 1][None]
            columns.append(quantile * self.scales_[:, None])
        return np.stack(columns, axis=-1)


def _scales(histories: list[np.ndarray], season: int) -> np.ndarray:
    """(N, K) each series' seasonal-naive MAE per target (its mean absolute value where
    that is undefined or zero, 1 where both are)."""
    rows = []
    for values in histories:  # (T, K)
        row = []
        for column in values.T:
            scale = metrics.seasonal_scale(column, season)
            if not scale > 0:
                scale = float(np.mean(np.abs(column))) or 1.0
            row.append(scale)
        rows.append(row)
    return np.array(rows)


How = Literal["auto", "model", "conformal"]


@dataclass(frozen=True)
class Intervals:
    """Which intervals a run asks for: ``levels`` (percent), and ``how``: ``model`` (each
    model's own; an error for one without), ``conformal`` (``Conformal`` around every
    model, with ``origins`` calibration origins and ``pool``) or ``auto`` (a model's own
    where it has them, else conformal)."""

    levels: tuple[float, ...]
    how: How = "auto"
    origins: int = 100
    pool: Pool = "series"

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", check_levels(self.levels))
        if self.how not in ("auto", "model", "conformal"):
            raise SeqcastError(f"intervals are auto, model or conformal, got {self.how!r}")

    def own(self, model: Forecaster) -> bool:
        """Whether ``model`` gives these intervals itself (refused by ``require_intervals``
        when asked to and it has none) rather than conformal ones around it."""
        if self.how == "model" or (self.how == "auto" and model.has_intervals):
            model.require_intervals()
            return True
        return False

    def apply(self, model: Forecaster, horizon: int, season: int = 1) -> Forecaster:
        """``model`` ready to give these intervals ``horizon`` steps ahead (``season``:
        the scale of a panel pool)."""
        if self.own(model):
            return model
        return Conformal(model, horizon, self.origins, pool=self.pool, season=season)
