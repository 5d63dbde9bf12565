"""ARIMA / SARIMA through statsmodels' state-space ``ARIMA``, whose estimates are the reference.

Rolling refits (a backtest with ``--refit`` fits one instance again at every origin) are
made fast without leaving statsmodels' optimum:

- ``warm_start``: each fit starts from the previous fit's ARMA and trend coefficients. The
  innovation variance restarts from statsmodels' own start value: on data in the hundreds
  of thousands that variance is ~1e10, and a start already at the old value leaves the
  finite-difference gradient too flat, so L-BFGS stops early on a worse likelihood.
- only the parameters are estimated (no covariance matrix, no results object), and point
  forecasts project the filter's last predicted state forward;
- BLAS runs on one thread inside each fit (its threads only add overhead at this size).

Intervals (``predict_interval``) build statsmodels' full results: its forecast variance.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.io import steps_between
from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.registry import register_model

TRENDS = ("n", "c", "t", "ct")
MAX_DEFAULT_SEASON = 24


@register_model("arima")
@dataclass
class Arima(Forecaster):
    """SARIMA(p, d, q)(P, D, Q, s) with an optional trend, one model per target column.

    Parameters
    ----------
    order : (p, d, q).
    seasonal_order : (P, D, Q, s); (0, 0, 0, 0) for none.
    trend : "n", "c", "t" or "ct"; None takes statsmodels' default (a constant when the
        model has no differencing, none otherwise).
    warm_start : when fitted again (a rolling refit), start from the previous estimates.
    stl_period : 0 for none; a season P >= 2 (a long one, 52 weeks say, that seasonal terms
        would make slow) is removed first: each target is STL-decomposed (robust, statsmodels)
        and ARIMA models the seasonally adjusted series. Forecasts add the seasonal pattern
        back, its last cycle carried forward (also into histories after the fitted data).
    """

    order: tuple[int, int, int] = (1, 0, 0)
    seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0)
    trend: str | None = None
    warm_start: bool = True
    stl_period: int = 0

    def __post_init__(self) -> None:
        self.order = tuple(self.order)  # type: ignore[assignment]
        self.seasonal_order = tuple(self.seasonal_order)  # type: ignore[assignment]
        if len(self.order) != 3 or any(v < 0 for v in self.order):
            raise SeqcastError(f"arima: order must be three integers p,d,q >= 0, got {self.order}")
        if len(self.seasonal_order) != 4 or any(v < 0 for v in self.seasonal_order):
            raise SeqcastError(
                f"arima: seasonal_order must be four integers P,D,Q,s >= 0, "
                f"got {self.seasonal_order}"
            )
        P, D, Q, s = self.seasonal_order
        if (P or D or Q) and s < 2:
            raise SeqcastError(f"arima: seasonal terms need a season s >= 2, got s={s}")
        if self.trend is not None and self.trend not in TRENDS:
            raise SeqcastError(
                f"arima: trend must be one of {', '.join(TRENDS)}, got {self.trend!r}"
            )
        if self.stl_period == 1 or self.stl_period < 0:
            raise SeqcastError(f"arima: stl_period must be 0 or at least 2, got {self.stl_period}")
        if self.stl_period and (P or D or Q):
            raise SeqcastError("arima: give seasonal terms or stl_period, not both")

    @classmethod
    def defaults_for(cls, season: int, horizon: int, *, panel: bool = False) -> dict[str, Any]:
        """The book's (1,0,0)(0,1,1,s) for seasons up to 24. A longer season makes seasonal
        terms slow (the state grows with s and each filter step costs O(s^3): with s = 52
        one fit on 2,000 weekly points takes over half a minute), so it is STL-decomposed
        away instead and ARIMA(1,1,1) models the rest."""
        if 1 < season <= MAX_DEFAULT_SEASON:
            return {"seasonal_order": (0, 1, 1, season)}
        if season > MAX_DEFAULT_SEASON:
            return {"order": (1, 1, 1), "stl_period": season}
        return {"order": (1, 1, 1)}

    @property
    def preload(self) -> tuple[str, ...]:
        return ("statsmodels.tsa.arima.model",)

    @property
    def min_history(self) -> int:
        p, d, q = self.order
        P, D, Q, s = self.seasonal_order
        arma = d + D * s + max(p + P * s, q + Q * s) + 2
        return max(arma, 2 * self.stl_period + 1)

    def _fit(self, data: pd.DataFrame) -> None:
        previous = getattr(self, "params_", None) if self.warm_start else None
        self.models_: list[Any] = []
        self.seasonal_: list[np.ndarray] = []  # each target's STL seasonal part (or zeros)
        params: list[np.ndarray] = []
        for k, column in enumerate(self.targets_):
            y = data[column].to_numpy(dtype=float)
            self.seasonal_.append(_stl_seasonal(y, self.stl_period))
            model = self._statsmodel(y - self.seasonal_[-1])
            start = None
            if previous is not None and len(previous) == len(self.targets_):
                start = np.asarray(model.start_params, dtype=float).copy()
                keep = [i for i, name in enumerate(model.param_names) if name != "sigma2"]
                start[keep] = previous[k][keep]
            with one_blas_thread(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; the fit is still the MLE
                fitted = model.fit(start_params=start, return_params=True)
            self.models_.append(model)
            params.append(np.asarray(fitted, dtype=float))
        self.params_ = params

    def _forecast_series(
        self,
        data: pd.DataFrame,
        origins: np.ndarray,
        horizon: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None,
    ) -> np.ndarray:
        """One Kalman filter pass over ``data`` with the fitted parameters serves every
        origin's point forecasts; intervals filter the history of each origin."""
        self._check_origins(origins)
        out = np.empty((len(origins), horizon, len(self.targets_), 1 + 2 * len(levels)))
        start = steps_between(self.history_.index[0], data.index[0], self.freq_)
        steps = start + origins[:, None] + 1 + np.arange(horizon)  # (O, H) positions ahead
        for k, column in enumerate(self.targets_):
            y = data[column].to_numpy(dtype=float)[: origins.max() + 1]
            adjusted = y - self._seasonal_at(k, start + np.arange(len(y)))
            forecast = _forecasts(self._statsmodel(adjusted), self.params_[k], origins, horizon)
            out[:, :, k, 0] = forecast + self._seasonal_at(k, steps)
        for i, origin in enumerate(origins if levels else []):
            out[i, :, :, 1:] = self._predict_bounds(data.iloc[: origin + 1], horizon, levels)
        return out

    def _seasonal_at(self, k: int, positions: np.ndarray) -> np.ndarray:
        """Target k's seasonal part at ``positions`` of the fitted data (0: its first row);
        beyond the data, its last cycle goes on (before it, its first cycle)."""
        seasonal = self.seasonal_[k]
        if not self.stl_period:
            return np.zeros(np.shape(positions))
        count, period = len(seasonal), self.stl_period
        inside = np.clip(positions, 0, count - 1)
        after = count - period + (positions - count) % period
        before = positions % period
        return np.where(
            positions >= count,
            seasonal[after],
            np.where(positions < 0, seasonal[before], seasonal[inside]),
        )

    def _predict_bounds(
        self,
        history: pd.DataFrame,
        n: int,
        levels: tuple[float, ...],
        future: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """statsmodels' intervals (from the state-space model's forecast variance) with the
        fitted parameters, filtered over ``history``, plus the STL seasonal part."""
        start = steps_between(self.history_.index[0], history.index[0], self.freq_)
        ahead = start + np.arange(len(history), len(history) + n)
        out = np.empty((n, len(self.targets_), 2 * len(levels)))
        for k, column in enumerate(self.targets_):
            y = history[column].to_numpy(dtype=float)
            adjusted = y - self._seasonal_at(k, start + np.arange(len(y)))
            with one_blas_thread(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results = self._statsmodel(adjusted).filter(self.params_[k])
                forecast = results.get_forecast(n)
                for i, level in enumerate(levels):
                    bounds = np.asarray(forecast.conf_int(alpha=1 - level / 100))
                    out[:, k, 2 * i : 2 * i + 2] = bounds + self._seasonal_at(k, ahead)[:, None]
        return out

    def summary(self) -> pd.DataFrame:
        """Estimated parameters, one row per name, one column per target."""
        if not hasattr(self, "params_"):
            raise SeqcastError("arima is not fitted; call fit(data) first")
        names = self.models_[0].param_names
        return pd.DataFrame(
            {t: self.params_[k] for k, t in enumerate(self.targets_)}, index=pd.Index(names)
        )

    def _statsmodel(self, y: np.ndarray) -> Any:
        from statsmodels.tsa.arima.model import ARIMA

        try:
            return ARIMA(y, order=self.order, seasonal_order=self.seasonal_order, trend=self.trend)
        except ValueError as exc:  # statsmodels' checks of the specification, e.g. trend vs d
            raise SeqcastError(f"arima: {str(exc).splitlines()[0]}") from exc


def _stl_seasonal(y: np.ndarray, period: int) -> np.ndarray:
    """(T,) the seasonal part of a robust STL decomposition of ``y`` with ``period``, or
    zeros for period 0."""
    if not period:
        return np.zeros(len(y))
    from statsmodels.tsa.seasonal import STL

    return np.asarray(STL(y, period=period, robust=True).fit().seasonal, dtype=float)


def _forecasts(model: Any, params: np.ndarray, origins: np.ndarray, n: int) -> np.ndarray:
    """(O, n) point forecasts from each origin (a position in the model's data).

    One filter pass gives every origin's one-step-ahead state; the transition carries all of
    them forward together. A model whose matrices change over time (a time trend) is
    refiltered per origin through statsmodels' own forecast instead.
    """
    with one_blas_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.update(params)
        system = {name: _fixed_in_time(model.ssm, name, ndim) for name, ndim in _SYSTEM.items()}
        if any(matrix is None for matrix in system.values()):
            return np.stack(
                [
                    np.asarray(model.clone(model.endog[: o + 1]).filter(params).forecast(n))
                    for o in origins
                ]
            )
        filtered = model.ssm.filter()
    states = filtered.predicted_state[:, origins + 1].T  # (O, k_states): a(o+1 | data to o)
    design, obs, transition, state_intercept = (
        np.asarray(system[name])
        for name in ("design", "obs_intercept", "transition", "state_intercept")
    )  # (1, k_states), (1,), (k_states, k_states), (k_states,)
    out = np.empty((len(origins), n))
    for h in range(n):
        out[:, h] = states @ design[0] + obs[0]
        states = states @ transition.T + state_intercept
    return out


_SYSTEM = {"design": 2, "obs_intercept": 1, "transition": 2, "state_intercept": 1}


def _fixed_in_time(ssm: Any, name: str, ndim: int) -> np.ndarray | None:
    """A state-space matrix without its time axis, or None when it changes over time.

    statsmodels drops the time axis of a time-invariant matrix and keeps it (last) otherwise.
    """
    matrix = np.asarray(ssm[name])
    if matrix.ndim == ndim:
        return matrix
    first = matrix[..., 0]
    return first if bool(np.all(matrix == first[..., None])) else None


@functools.cache
def _blas_controller() -> Any:
    """One threadpoolctl controller per process: building one scans every loaded library
    (about 2 ms), far too slow to repeat for each of hundreds of small fits."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> Any:
    return _blas_controller().limit(limits=1, user_api="blas")
