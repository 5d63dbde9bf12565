"""The forecaster contract every model follows.

Symbols: O origins, H horizon, K targets, L interval levels, N series of a panel.

A forecaster is a dataclass whose fields are its parameters (``__init__`` only stores them).
``fit(data, targets)`` learns from a regular time-indexed DataFrame and returns ``self``;
learned state lives in attributes ending in ``_``.

Every forecast goes through one call, ``forecast_origins(data, origins, horizon, levels)``:
(O, H, K, 1 + 2L) forecasts of ``horizon`` steps from each origin (a row position in
``data``; the origin is the last step the forecast sees), the point forecast first, then the
bounds of each interval level (``seqcast.models.intervals``). ``predict(n)`` and
``predict_interval(n, levels)`` are views of it: the ``n`` steps after the data (or after
``history``), as a DataFrame indexed by those timestamps. ``future`` holds the known-ahead
columns of the steps after the data for models that use them.

A panel (many series, ``seqcast.data.panel``) is data too: an origin is a row of the panel
and sees its own series up to that row. ``fit`` on a panel fits one copy of a local model
to each series on an engine (local processes or Ray: the same models on any), while a
model whose ``is_global`` is true learns from the panel as a whole (a neural network trained
on every series at once).

A model provides ``_fit`` (learn from one series), ``_predict`` (H points after a history)
and, when it has intervals of its own, ``_predict_bounds``; a model that shares work across
origins (one filter pass, one batched forward) overrides ``_forecast_series``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from seqcast.data.io import refuse_duplicate_columns, require_numeric, target_names, time_index
from seqcast.data.panel import (
    check_panel,
    from_series,
    is_panel,
    iter_series,
    last_rows,
    panel_freq,
    series_ids,
    series_of_rows,
    series_starts,
)
from seqcast.engines import SERIES_TASKS_PER_WORKER, Engine, run_tasks
from seqcast.errors import SeqcastError
from seqcast.models.intervals import DEFAULT_LEVELS, bound_columns, check_levels

F = TypeVar("F", bound="Forecaster")
HUGE = 1e30  # data this large overflows a float32 network or its squared errors
MAX_HORIZON = 100_000  # steps: a recursive network takes about 1 ms a step on a laptop CPU


@dataclasses.dataclass
class Forecaster:
    name: ClassVar[str] = "forecaster"  # set by @register_model
    is_global: ClassVar[bool] = False  # fit learns from a panel as a whole, not per series

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
            names = target_names(targets, data.columns)
            check_panel(data, names, self.min_panel_history, self.name)
            self.series_ids_: list[Any] | None = series_ids(data)
            self.freq_: BaseOffset = panel_freq(data)
        else:
            check_series(data)
            names = target_names(targets, data.columns)
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
            preload=self.preload,
        )
        self.series_models_: dict[Any, Forecaster] = dict(
            zip(series_ids(panel), models, strict=True)
        )

    # --- forecasting: one call, and two views of it -------------------------------------

    def forecast_origins(
        self,
        data: pd.DataFrame,
        origins: Sequence[int] | np.ndarray,
        horizon: int,
        levels: float | Sequence[float] = (),
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """(O, H, K, 1 + 2L) forecasts of ``horizon`` steps from each of the ``origins``,
        with the fitted parameters: the point forecast, then each level's lower and upper
        bound (``levels`` in percent; none: only the point forecasts).

        ``origins`` are row positions in ``data`` (a series, or a panel like the one the
        model was fitted on); origin ``o`` sees the rows of its series up to ``o``.
        ``future`` gives the ``future_columns`` of the steps after ``data`` (a panel of them
        for a panel) when a forecast reaches past its end.
        """
        if not hasattr(self, "targets_"):
            raise SeqcastError(f"{self.name} is not fitted; call fit(data) first")
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
            raise SeqcastError(
                f"the number of steps to forecast must be a positive integer, got {horizon!r}"
            )
        if horizon > MAX_HORIZON:
            raise SeqcastError(
                f"a forecast of {horizon:,} steps is more than seqcast makes "
                f"(at most {MAX_HORIZON:,}); forecast fewer steps"
            )
        bands = check_levels(levels) if _given(levels) else ()
        if bands:
            self.require_intervals()
        rows = _origin_rows(origins)
        fitted = data is getattr(self, "history_", None)  # checked when it was fitted
        if self.series_ids_ is not None:
            if not fitted:
                check_panel(data, self.targets_, 1, self.name)
                self._check_freq(panel_freq(data))
            _check_rows(rows, len(data))
            _check_reach(data.index.get_level_values(-1), rows, int(horizon), self.freq_)
            out = self._forecast_panel(data, rows, int(horizon), bands, future)
        else:
            if not fitted:
                check_series(data)
                self._check_freq(time_index(data).freq)
                require_numeric(data, self.targets_)
            _check_rows(rows, len(data))
            values = data[self.targets_].to_numpy(float)[: rows.max() + 1]
            if not fitted and np.isnan(values).any():
                raise SeqcastError(f"{self.name}: the target columns have missing values")
            _check_reach(data.index, rows, int(horizon), self.freq_)
            out = self._forecast_series(data, rows, int(horizon), bands, future)
        self._check_finite(out, data, rows)
        return out

    def predict(
        self, n: int, history: pd.DataFrame | None = None, future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast the ``n`` steps after ``history`` (default: the fitted data); ``future``
        gives the ``future_columns`` of those steps when the model has any.

        Returns a DataFrame of shape (n, number of targets) indexed by the next ``n``
        timestamps of the series' frequency (on a panel: those of every series).
        """
        return self._after(n, (), history, future)

    def predict_interval(
        self,
        n: int,
        levels: float | Sequence[float] = DEFAULT_LEVELS,
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
        return self._after(n, check_levels(levels), history, future)

    def _after(
        self,
        n: int,
        levels: tuple[float, ...],
        history: pd.DataFrame | None,
        future: pd.DataFrame | None,
    ) -> pd.DataFrame:
        """The forecast frame of the ``n`` steps after ``history`` (default: the fitted
        data), with the bounds of ``levels``."""
        if not hasattr(self, "targets_"):
            raise SeqcastError(f"{self.name} is not fitted; call fit(data) first")
        panel = self.series_ids_ is not None
        data = (
            history if history is not None else self.fitted_history("panel" if panel else "series")
        )
        if not panel:
            check_series(data)  # before its rows are counted
        elif not is_panel(data):
            check_panel(data, self.targets_, 1, self.name)  # says what a panel is
        ends = last_rows(data) if panel else np.array([len(data) - 1])
        forecast = self.forecast_origins(data, ends, n, levels, future)  # (N, n, K, 1 + 2L)
        if not panel:
            return self._frame(data, forecast[0], levels)
        parts = {
            key: self._frame(frame, values, levels)
            for (key, frame), values in zip(iter_series(data), forecast, strict=True)
        }
        return from_series(parts, str(data.index.names[0]))

    def _frame(
        self, series: pd.DataFrame, values: np.ndarray, levels: tuple[float, ...]
    ) -> pd.DataFrame:
        """The (n, K, 1 + 2L) forecast after ``series`` as a frame: the targets, then each
        target's bounds ``{target}_lo_{L}``, ``{target}_hi_{L}``."""
        n = len(values)
        index = pd.date_range(
            series.index[-1] + self.freq_, periods=n, freq=self.freq_, name=series.index.name
        )
        bounds = [f"{name}_{bound}" for name in self.targets_ for bound in bound_columns(levels)]
        table = np.concatenate([values[:, :, 0], values[:, :, 1:].reshape(n, -1)], axis=1)
        return pd.DataFrame(table, index=index, columns=[*self.targets_, *bounds])

    def _forecast_series(
        self,
        data: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """(O, H, K, 1 + 2L) forecasts from ``origins`` of one series, checked: here one
        ``_predict`` (and ``_predict_bounds``) per origin; a model that shares work across
        origins overrides this."""
        self._check_origins(origins)
        out = np.empty((len(origins), horizon, len(self.targets_), 1 + 2 * len(levels)))
        for i, origin in enumerate(origins):
            # the data itself from its last row: a model may know it as the data it fitted
            seen = data if origin == len(data) - 1 else data.iloc[: origin + 1]
            ahead = self._known_ahead(data, int(origin), horizon, future)
            out[i, :, :, 0] = self._predict(seen, horizon, ahead)
            if levels:
                out[i, :, :, 1:] = self._predict_bounds(seen, horizon, levels, ahead)
        return out

    def _forecast_panel(
        self,
        panel: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """(O, H, K, 1 + 2L) forecasts from ``origins``, rows of ``panel``: here each by its
        own series' model (a global model overrides this)."""
        which, starts = series_of_rows(panel, origins), series_starts(panel)
        futures = dict(iter_series(future)) if future is not None else {}
        out = np.empty((len(origins), horizon, len(self.targets_), 1 + 2 * len(levels)))
        for number, (key, frame) in enumerate(iter_series(panel)):
            mine = np.flatnonzero(which == number)
            if not len(mine):
                continue
            if key not in self.series_models_:
                raise SeqcastError(f"{self.name} was not fitted on a series {key!r}")
            model = self.series_models_[key]
            own = origins[mine] - starts[number]
            out[mine] = model._forecast_series(frame, own, horizon, levels, futures.get(key))
        return out

    def _known_ahead(
        self, data: pd.DataFrame, origin: int, horizon: int, future: pd.DataFrame | None
    ) -> pd.DataFrame | None:
        """The ``future_columns`` of the ``horizon`` steps after row ``origin`` of ``data``
        (those after its end from ``future``), or None for a model that has none."""
        if not self.future_columns:
            return None
        rows = data.iloc[origin + 1 : origin + 1 + horizon][self.future_columns]
        if len(rows) == horizon:
            return rows
        ahead = rows_after(data, future, horizon - len(rows), self.future_columns, self.name)
        return pd.concat([rows, ahead])

    @property
    def has_intervals(self) -> bool:
        """Whether the model gives intervals of its own (``predict_interval``)."""
        return type(self)._predict_bounds is not Forecaster._predict_bounds

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

    @property
    def min_history(self) -> int:
        """The fewest observed steps ``fit`` accepts and a forecast from an origin sees."""
        return 1

    @property
    def min_panel_history(self) -> int:
        """``min_history`` for each series of a panel (a global model that pads short
        series takes any)."""
        return self.min_history

    @property
    def future_columns(self) -> list[str]:
        """Columns the model needs for the forecast steps too (known-ahead covariates)."""
        return []

    @property
    def preload(self) -> tuple[str, ...]:
        """The heavy modules the model imports when it first fits, which an engine's workers
        import before their first task (``seqcast.engines.run_tasks``)."""
        return ()

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """Parameters suited to data with this season, forecast ``horizon`` steps ahead, on
        one series or a ``panel`` of many (``seqcast benchmark`` uses them)."""
        return {}

    @classmethod
    def search_space(
        cls, trial: Any, season: int, horizon: int, *, wide: bool = False
    ) -> dict[str, Any]:
        """The parameters ``seqcast tune`` samples on an Optuna ``trial`` (define-by-run,
        so one choice may depend on another) for data with this season and horizon, as
        ``--set`` keys (``train.lr``); ``wide`` for trials that train on a GPU, where larger
        networks and batches cost little more. A model without one is not tuned."""
        raise SeqcastError(f"{cls.name} has no search space")

    @classmethod
    def tunable(cls) -> bool:
        """Whether the model has a search space (``search_space``)."""
        return cls.search_space.__func__ is not Forecaster.search_space.__func__  # type: ignore[attr-defined]

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

    # --- what a model provides ----------------------------------------------------------

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

    @property
    def grouped(self) -> bool:
        """Whether ``_forecast_grouped`` gives this model's forecasts: the class that gives it
        is where the model's fit and forecast come from (a subclass that changes
        ``_predict`` or ``_fit`` does not inherit the shortcut)."""
        owner = _defined_in(type(self), "_forecast_grouped")
        parts = ("_fit", "_predict", "_forecast_series")
        return owner is not Forecaster and all(
            issubclass(owner, _defined_in(type(self), part)) for part in parts
        )

    def _forecast_grouped(
        self, y: np.ndarray, starts: np.ndarray, fitted: np.ndarray, origins: np.ndarray, h: int
    ) -> np.ndarray:
        """(N, W, H) point forecasts of one target for every series of a panel at once, as if
        a copy were fitted to each series' first ``fitted`` (N,) values and forecast ``h``
        steps from its ``origins`` (N, W), rows of ``y`` (R,): the series one after
        another, series i from row ``starts[i]``. A model gives it where it can (see
        ``grouped``), with exactly those forecasts; a panel backtest fits every series of
        the others on its own."""
        raise NotImplementedError

    # --- checks ---------------------------------------------------------------------------

    def _check_history(self, data: pd.DataFrame, targets: Sequence[str]) -> None:
        _check_length(self, len(data))
        if data[list(targets)].isna().to_numpy().any():
            raise SeqcastError(f"{self.name}: the target columns have missing values")

    def too_short(self, steps: int) -> str:
        """What to say when only ``steps`` steps are seen (fewer than ``min_history``)."""
        return f"{self.name} needs at least {self.min_history} observed steps, got {steps}"

    def _check_origins(self, origins: np.ndarray) -> None:
        """Raise unless every origin (a row of one series) sees ``min_history`` steps."""
        _check_length(self, int(origins.min()) + 1)

    def _check_finite(self, out: np.ndarray, data: pd.DataFrame, origins: np.ndarray) -> None:
        """Raise, naming the first origin and step, unless every forecast is a number: a
        model that cannot forecast these values says so rather than printing NaN."""
        bad = ~np.isfinite(out)
        if not bad.any():
            return
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        origin, step = first[:2]
        largest = float(np.nanmax(np.abs(data[self.targets_].to_numpy(float))))
        advice = (
            f"the data's largest value is {largest:.3g}; scale it down, or use another model"
            if largest > HUGE
            else "its forecasts grow without bound: forecast fewer steps, or use another model"
        )
        raise SeqcastError(
            f"{self.name} cannot forecast these values: its forecast from "
            f"{data.index[origins[origin]]} is {out[first]} at step {step + 1} ({advice})"
        )

    def _check_freq(self, freq: BaseOffset | None) -> None:
        if freq != self.freq_:
            shown = freq.freqstr if freq is not None else "none"
            raise SeqcastError(
                f"history has frequency {shown}, the model was fitted on {self.freq_.freqstr}"
            )


def rows_after(
    data: pd.DataFrame,
    future: pd.DataFrame | None,
    steps: int,
    columns: Sequence[str],
    name: str,
) -> pd.DataFrame:
    """The ``columns`` of ``future`` for the ``steps`` steps after ``data`` ends: matched by
    date when ``future`` is indexed by time (its rows at other dates are not used; a date
    it lacks is an error naming it), else its first ``steps`` rows. ``name`` is the model
    that needs them."""
    needs = f"{name} needs the known-ahead columns {', '.join(columns)} for the {steps} steps"
    if future is None:
        raise SeqcastError(f"{needs} after the data (pass future=...)")
    missing = [c for c in columns if c not in future.columns]
    if missing:
        raise SeqcastError(f"future has no column {missing[0]!r}")
    if not isinstance(future.index, pd.DatetimeIndex):
        if len(future) < steps:
            raise SeqcastError(f"{needs} after the data; future has {len(future)} rows")
        return future.iloc[:steps][list(columns)]
    freq = time_index(data).freq
    dates = pd.date_range(data.index[-1] + freq, periods=steps, freq=freq, name=data.index.name)
    if not future.index.is_unique:
        raise SeqcastError("future has two rows for the same date")
    absent = dates.difference(future.index)
    if len(absent):
        raise SeqcastError(
            f"{needs} from {dates[0]} to {dates[-1]}; future has no row for {absent[0]}"
            + (f" and {len(absent) - 1} more of those dates" if len(absent) > 1 else "")
        )
    return future.loc[dates, list(columns)]


def _check_length(model: Forecaster, steps: int) -> None:
    if steps < model.min_history:
        raise SeqcastError(model.too_short(steps))


def _defined_in(cls: type, name: str) -> type:
    """The class of ``cls``'s lineage whose own body defines ``name`` (``object`` when none
    does)."""
    return next((klass for klass in cls.__mro__ if name in vars(klass)), object)


def _origin_rows(origins: Sequence[int] | np.ndarray) -> np.ndarray:
    """(O,) ``origins`` as row numbers; anything but whole numbers is refused."""
    given = np.asarray(origins).reshape(-1)
    if given.size and (given.dtype == bool or not np.issubdtype(given.dtype, np.integer)):
        shown = next((v for v in given if not isinstance(v, numbers.Integral)), given[0])
        value = shown.item() if isinstance(shown, np.generic) else shown
        raise SeqcastError(f"origins must be whole row numbers, got {value!r}")
    return given.astype(np.int64)


def _check_rows(origins: np.ndarray, rows: int) -> None:
    """Raise unless there are origins and each is a row of data of ``rows`` rows."""
    if len(origins) == 0:
        raise SeqcastError("no origins to forecast from")
    if origins.min() < 0 or origins.max() >= rows:
        raise SeqcastError(f"origins must be rows of the data (0 to {rows - 1})")


def _default(f: dataclasses.Field[Any]) -> object:
    """A dataclass field's default value (made fresh for a default factory)."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


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
    refuse_duplicate_columns(data.columns, "the data")


def _given(levels: float | Sequence[float]) -> bool:
    """Whether interval ``levels`` are asked for (a number, or a list that is not empty)."""
    return not isinstance(levels, Sequence) or len(levels) > 0


def _check_reach(dates: pd.Index, rows: np.ndarray, horizon: int, freq: BaseOffset) -> None:
    """Raise unless ``horizon`` steps of ``freq`` after the latest of the origins ``rows``
    (positions in ``dates``) stay within the dates pandas can hold at their resolution
    (to 2262-04-11 in nanoseconds, some 290,000 years in microseconds)."""
    latest = pd.Timestamp(dates[rows].max())
    try:
        latest + horizon * freq
    except (OverflowError, ValueError):  # pandas' OutOfBounds errors are ValueErrors
        raise SeqcastError(
            f"a forecast of {horizon:,} steps of {freq.freqstr} from {latest} runs past the "
            f"last date pandas can hold in {latest.unit}; forecast fewer steps"
        ) from None
