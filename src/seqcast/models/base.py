"""The forecaster contract every model follows.

A forecaster is a dataclass whose fields are its parameters (``__init__`` only stores them).
``fit(data, targets)`` learns from a regular time-indexed DataFrame and returns ``self``;
learned state lives in attributes ending in ``_``. ``predict(n)`` forecasts the ``n`` steps
after the data it was fitted on, as a DataFrame indexed by those timestamps with one column
per target. ``predict(n, history=frame)`` forecasts the steps after ``frame`` instead, with
the parameters learned in ``fit`` (a rolling-origin backtest without refitting does this).
``future`` holds the known-ahead columns of the forecast steps for models that use them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from seqcast.data.io import require_numeric, time_index
from seqcast.errors import SeqcastError

F = TypeVar("F", bound="Forecaster")


@dataclasses.dataclass
class Forecaster:
    name: ClassVar[str] = "forecaster"  # set by @register_model

    def fit(self: F, data: pd.DataFrame, targets: str | Sequence[str] | None = None) -> F:
        """Learn from ``data`` (a DataFrame with a regular DatetimeIndex) to forecast ``targets``
        (column names; default: every column)."""
        self._start_fit(data, targets)
        self._fit(data)
        return self

    def _start_fit(self, data: pd.DataFrame, targets: str | Sequence[str] | None) -> None:
        """Check ``data`` and record the targets, the frequency and the data itself."""
        check_series(data)
        names = [targets] if isinstance(targets, str) else list(targets or data.columns)
        require_numeric(data, names)
        self._check_history(data, names)
        self.targets_: list[str] = names
        freq = time_index(data).freq
        assert freq is not None  # check_series refused data without one
        self.freq_: BaseOffset = freq
        self.history_: pd.DataFrame = data

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
        if history is None:
            if not hasattr(self, "history_"):
                raise SeqcastError(
                    f"{self.name} was loaded from a checkpoint and holds no data; "
                    "pass history= (the series to forecast from)"
                )
            history = self.history_
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
    def defaults_for(cls, season: int, horizon: int) -> dict[str, Any]:
        """Parameters suited to data with this season, forecast ``horizon`` steps ahead
        (``seqcast benchmark`` uses them)."""
        return {}

    def params(self) -> dict[str, object]:
        """The model's parameters, as given to ``create_model``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

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

    def _check_history(self, data: pd.DataFrame, targets: Sequence[str]) -> None:
        if len(data) < self.min_history:
            raise SeqcastError(
                f"{self.name} needs at least {self.min_history} observed steps, got {len(data)}"
            )
        if data[list(targets)].isna().to_numpy().any():
            raise SeqcastError(f"{self.name}: the target columns have missing values")


def check_series(data: object) -> None:
    """Raise unless ``data`` is a DataFrame with a DatetimeIndex whose frequency is set."""
    if not isinstance(data, pd.DataFrame):
        raise SeqcastError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(data.index, pd.DatetimeIndex) or data.index.freq is None:
        raise SeqcastError(
            "expected a DataFrame with a regular DatetimeIndex (freq set); "
            "seqcast.prepare_frame(df, date_column) makes one"
        )
