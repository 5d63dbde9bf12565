"""The forecaster contract every model follows.

A forecaster is a dataclass whose fields are its parameters (``__init__`` only stores them).
``fit(data, targets)`` learns from a regular time-indexed DataFrame and returns ``self``;
learned state lives in attributes ending in ``_``. ``predict(n)`` forecasts the ``n`` steps
after the data it was fitted on, as a DataFrame indexed by those timestamps with one column
per target. ``predict(n, history=frame)`` forecasts the steps after ``frame`` instead, with
the parameters learned in ``fit`` (a rolling-origin backtest without refitting does this).
``future`` holds the known-ahead columns of the forecast steps for models that use them.

Given a panel (many series, ``seqcast.data.panel``), ``fit`` fits one copy of a local model
to each series on an engine (local processes or Ray: the same models on any), and a
global model (the neural ones) trains once on every series; ``predict`` then returns a panel
of the ``n`` steps after each series.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from seqcast.data.io import require_numeric, time_index
from seqcast.data.panel import (
    check_panel,
    from_series,
    is_panel,
    iter_series,
    panel_freq,
    series_ids,
)
from seqcast.engines import SERIES_TASKS_PER_WORKER, Engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.models.intervals import DEFAULT_LEVELS, bound_columns, check_levels

F = TypeVar("F", bound="Forecaster")


@dataclasses.dataclass
class Forecaster:
    name: ClassVar[str] = "forecaster"  # set by @register_model

    def fit(
        self: F,
        data: pd.DataFrame,
        targets: str | Sequence[str] | None = None,
        *,
        workers: int | Engine = 1,
    ) -> F:
        """Learn from ``data`` (a DataFrame with a regular DatetimeIndex, or a panel) to
        forecast ``targets`` (column names; default: every column). On a panel, the series
        are fitted on ``workers``: a number of local processes or an ``Engine``."""
        self._start_fit(data, targets)
        if self.series_ids_ is None:
            self._fit(data)
        else:
            self._fit_panel(data, workers)
        return self

    def _start_fit(self, data: pd.DataFrame, targets: str | Sequence[str] | None) -> None:
        """Check ``data`` and record the targets, the frequency, the series (None for one
        series) and the data itself."""
        if is_panel(data):
            names = [targets] if isinstance(targets, str) else list(targets or data.columns)
            check_panel(data, names, self.min_history, self.name)
            self.series_ids_: list[Any] | None = series_ids(data)
            self.freq_: BaseOffset = panel_freq(data)
        else:
            check_series(data)
            names = [targets] if isinstance(targets, str) else list(targets or data.columns)
            require_numeric(data, names)
            self._check_history(data, names)
            self.series_ids_ = None
            freq = time_index(data).freq
            assert freq is not None  # check_series refused data without one
            self.freq_ = freq
        self.targets_: list[str] = names
        self.history_: pd.DataFrame = data

    def _fit_panel(self, panel: pd.DataFrame, workers: int | Engine) -> None:
        """One copy of this model fitted to each series (a global model overrides this)."""
        task = functools.partial(_fit_copy, self.clone(), self.targets_)
        frames = [frame for _, frame in iter_series(panel)]
        models = run_tasks(
            task,
            frames,
            workers,
            labels=series_ids(panel),
            what="series",
            tasks_per_worker=SERIES_TASKS_PER_WORKER,
        )
        self.series_models_: dict[Any, Forecaster] = dict(
            zip(series_ids(panel), models, strict=True)
        )

    def predict(
        self, n: int, history: pd.DataFrame | None = None, future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast the ``n`` steps after ``history`` (default: the fitted data); ``future``
        gives the ``future_columns`` of those steps when the model has any.

        Returns a DataFrame of shape (n, number of targets) indexed by the next ``n``
        timestamps of the series' frequency.
        """
        if not hasattr(self, "targets_"):
            raise SeqcastError(f"{self.name} is not fitted; call fit(data) first")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise SeqcastError(
                f"the number of steps to forecast must be a positive integer, got {n!r}"
            )
        if getattr(self, "series_ids_", None) is not None:
            if history is not None:
                check_panel(history, self.targets_, self.min_history, self.name)
                if panel_freq(history) != self.freq_:
                    raise SeqcastError(
                        f"history has frequency {panel_freq(history).freqstr}, the model "
                        f"was fitted on {self.freq_.freqstr}"
                    )
            return self._predict_panel(n, history, future)
        if history is None:
            history = self.fitted_history("series")
        else:
            check_series(history)
            if time_index(history).freq != self.freq_:
                raise SeqcastError(
                    f"history has frequency {time_index(history).freqstr}, the model "
                    f"was fitted on {self.freq_.freqstr}"
                )
            require_numeric(history, self.targets_)
            self._check_history(history, self.targets_)
        values = np.asarray(self._predict(history, n, future), dtype=float)  # (n, K)
        index = pd.date_range(
            history.index[-1] + self.freq_, periods=n, freq=self.freq_, name=history.index.name
        )
        return pd.DataFrame(
            values.reshape(n, len(self.targets_)), index=index, columns=self.targets_
        )

    def predict_interval(
        self,
        n: int,
        levels: Sequence[float] = DEFAULT_LEVELS,
        history: pd.DataFrame | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``predict``'s forecast with prediction intervals at ``levels`` (percent): after
        the target columns, ``{target}_lo_{L}`` and ``{target}_hi_{L}`` for each level L.

        The intervals are the model's own (``has_intervals``): a Normal error model for the
        baselines, SES and Theta, statsmodels' for ARIMA, the learned quantiles or
        distribution of a neural model trained with such a ``train.loss``. Any model gets
        conformal intervals wrapped in ``seqcast.Conformal``.
        """
        levels = check_levels(levels)
        point = self.predict(n, history, future)
        if getattr(self, "series_ids_", None) is not None:
            bounds = self._panel_bounds(n, levels, history, future, point)  # (N, n, K, 2L)
            parts = {
                key: with_bounds(frame, bounds[i], levels)
                for i, (key, frame) in enumerate(iter_series(point))
            }
            return from_series(parts, str(point.index.names[0]))
        self.require_intervals()
        seen = self.fitted_history("series") if history is None else history
        bounds = np.asarray(self._predict_bounds(seen, n, levels, future))  # (n, K, 2L)
        return with_bounds(point, bounds, levels)

    def _panel_bounds(
        self,
        n: int,
        levels: tuple[float, ...],
        history: pd.DataFrame | None,
        future: pd.DataFrame | None,
        point: pd.DataFrame,
    ) -> np.ndarray:
        """(N, n, K, 2L) the interval bounds of ``point``, a panel forecast from
        ``history`` (default: the fitted panel), in its series' order: here each series'
        model gives its own (a global model overrides this)."""
        futures = dict(iter_series(future)) if future is not None else {}
        out = []
        for key, frame in iter_series(history if history is not None else self.history_):
            model = self.series_models_[key]
            model.require_intervals()
            seen = model.fitted_history("series") if history is None else frame
            out.append(model._predict_bounds(seen, n, levels, futures.get(key)))
        return np.stack(out)

    @property
    def has_intervals(self) -> bool:
        """Whether the model gives intervals of its own (``predict_interval``)."""
        return type(self)._predict_bounds is not Forecaster._predict_bounds

    def bounds_origins(
        self, data: pd.DataFrame, origins: np.ndarray, horizon: int, levels: Sequence[float]
    ) -> np.ndarray:
        """(O, H, K, 2L) interval bounds (``seqcast.models.intervals``) of the forecasts
        ``predict_origins`` makes from the same origins."""
        self.require_intervals()
        levels = check_levels(levels)
        out = np.empty((len(origins), horizon, len(self.targets_), 2 * len(levels)))
        for i, origin in enumerate(origins):
            future = self.future_rows(data, origin, horizon)
            out[i] = self._predict_bounds(data.iloc[: origin + 1], horizon, levels, future)
        return out

    def require_intervals(self) -> None:
        """Raise, saying how to get intervals, unless the model has its own."""
        if not self.has_intervals:
            raise SeqcastError(
                f"{self.name} has no intervals of its own; wrap it in conformal intervals "
                "(seqcast.Conformal(model), --intervals conformal on the command line)"
            )

    def fitted_history(self, kind: str) -> pd.DataFrame:
        """The data the model was fitted on; a model loaded from a checkpoint holds none,
        and the error asks for ``history=`` (the ``kind`` to forecast from)."""
        if not hasattr(self, "history_"):
            raise SeqcastError(
                f"{self.name} was loaded from a checkpoint and holds no data; "
                f"pass history= (the {kind} to forecast from)"
            )
        return self.history_

    def _predict_panel(
        self, n: int, history: pd.DataFrame | None, future: pd.DataFrame | None
    ) -> pd.DataFrame:
        """A panel of the ``n`` steps after each series of ``history`` (default: the fitted
        panel), each forecast by its own series' model (a global model overrides this)."""
        futures = dict(iter_series(future)) if future is not None else {}
        parts = {}
        for key, frame in iter_series(history if history is not None else self.history_):
            if key not in self.series_models_:
                raise SeqcastError(f"{self.name} was not fitted on a series {key!r}")
            model = self.series_models_[key]
            seen = None if history is None else frame  # None: from the data it was fitted on
            parts[key] = model.predict(n, history=seen, future=futures.get(key))
        return from_series(parts, str(self.history_.index.names[0]))

    @property
    def min_history(self) -> int:
        """The fewest observed steps ``fit`` and ``predict`` accept."""
        return 1

    @property
    def future_columns(self) -> list[str]:
        """Columns the model needs for the forecast steps too (known-ahead covariates)."""
        return []

    def predict_origins(self, data: pd.DataFrame, origins: np.ndarray, horizon: int) -> np.ndarray:
        """(O, H, K) forecasts of ``horizon`` steps from each origin, with the fitted parameters.

        ``origins`` are row positions in ``data``; origin ``o`` sees ``data.iloc[: o + 1]``.
        This runs ``predict`` once per origin; a model that can share work across origins
        (one filter pass, one batched forward) overrides it.
        """
        out = np.empty((len(origins), horizon, len(self.targets_)))
        for i, origin in enumerate(origins):
            future = self.future_rows(data, origin, horizon)
            out[i] = self.predict(horizon, data.iloc[: origin + 1], future).to_numpy()
        return out

    def future_rows(self, data: pd.DataFrame, origin: int, horizon: int) -> pd.DataFrame | None:
        """The ``future_columns`` of the ``horizon`` rows after position ``origin`` of
        ``data``, or None for a model that has none."""
        if not self.future_columns:
            return None
        return data.iloc[origin + 1 : origin + 1 + horizon][self.future_columns]

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """Parameters suited to data with this season, forecast ``horizon`` steps ahead, on
        one series or a ``panel`` of many (``seqcast benchmark`` uses them)."""
        return {}

    def params(self) -> dict[str, object]:
        """The model's parameters, as given to ``create_model``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def changed_params(self) -> dict[str, object]:
        """The parameters that differ from the class's defaults; a nested settings
        dataclass (``train``) as ``train.epochs`` keys."""
        changed: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value, default = getattr(self, f.name), _default(f)
            if dataclasses.is_dataclass(value) and dataclasses.is_dataclass(default):
                for inner in dataclasses.fields(value):
                    if getattr(value, inner.name) != getattr(default, inner.name):
                        changed[f"{f.name}.{inner.name}"] = getattr(value, inner.name)
            elif value != default:
                changed[f.name] = value
        return changed

    def clone(self: F) -> F:
        """A new, unfitted forecaster with the same parameters."""
        return type(self)(**copy.deepcopy(self.params()))

    def _fit(self, data: pd.DataFrame) -> None:
        """Learn from ``data``; targets are ``self.targets_``. Baselines learn nothing."""

    def _predict(
        self, history: pd.DataFrame, n: int, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        """(n, K) forecasts of ``self.targets_`` for the ``n`` steps after ``history``."""
        raise NotImplementedError

    def _predict_bounds(
        self,
        history: pd.DataFrame,
        n: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """(n, K, 2L) interval bounds for the ``n`` steps after ``history``; a model with
        intervals of its own overrides this."""
        raise NotImplementedError

    def _check_history(self, data: pd.DataFrame, targets: Sequence[str]) -> None:
        if len(data) < self.min_history:
            raise SeqcastError(
                f"{self.name} needs at least {self.min_history} observed steps, got {len(data)}"
            )
        if data[list(targets)].isna().to_numpy().any():
            raise SeqcastError(f"{self.name}: the target columns have missing values")


def _default(f: dataclasses.Field[Any]) -> object:
    """A dataclass field's default value (made fresh for a default factory)."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def with_bounds(point: pd.DataFrame, bounds: np.ndarray, levels: tuple[float, ...]) -> pd.DataFrame:
    """``point`` (n, K) with the columns of its (n, K, 2L) ``bounds`` after its own."""
    columns = {name: point[name].to_numpy() for name in point.columns}
    for k, name in enumerate(point.columns):
        for b, bound in enumerate(bound_columns(levels)):
            columns[f"{name}_{bound}"] = bounds[:, k, b]
    return pd.DataFrame(columns, index=point.index)


def _fit_copy(template: Forecaster, targets: list[str], series: pd.DataFrame) -> Forecaster:
    """A copy of ``template`` fitted to one series (a task that can run in a worker)."""
    return template.clone().fit(series, targets)


def check_series(data: object) -> None:
    """Raise unless ``data`` is a DataFrame with a DatetimeIndex whose frequency is set."""
    if not isinstance(data, pd.DataFrame):
        raise SeqcastError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(data.index, pd.DatetimeIndex) or data.index.freq is None:
        raise SeqcastError(
            "expected a DataFrame with a regular DatetimeIndex (freq set); "
            "seqcast.prepare_frame(df, date_column) makes one"
        )
