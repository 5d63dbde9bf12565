"""What a trial of ``seqcast tune`` trains and how it is scored, on validation only.

Symbols: N series, H horizon. The panel is cut three times at the end of every series:

    |........ fit (trained on) ........|.. validation (H) ..|.. test (W x H) ..|

The test steps (the benchmark's last ``windows`` x H, M4's test period) are never read.
A trial trains the model on the fit part (its early stopping holds out the fit part's own
last steps, as always) and forecasts the H validation steps of every series; its score is
the OWA there, against Naive2 on the same steps (sMAPE and MASE, the scale taken on each
series' fit part). After every epoch the current network forecasts the validation steps
too, so a bad trial can be stopped early (ASHA or Optuna's successive halving).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqcast.data.panel import drop_last, iter_series, last_rows
from seqcast.errors import SeqcastError
from seqcast.evaluation import metrics
from seqcast.evaluation.benchmark import default_models
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model, model_class

REDUCTION = 3  # early stopping keeps the best third of the trials at each rung


@dataclass
class Problem:
    """Everything a trial needs (sent to a cluster once): the model, the settings under
    every trial (``--set``), the season and horizon, the budget (at most ``max_epochs``
    epochs of at most ``trial_windows`` windows; 0: the model's own epochs), the fit part,
    the panel up to the validation's end, the truth there (N, H), each series' MASE scale
    (N,), Naive2's (sMAPE, MASE) on it, and whether trials search the ``wide`` space."""

    model: str
    settings: list[str]
    season: int
    horizon: int
    max_epochs: int
    trial_windows: int
    fit_part: pd.DataFrame
    to_valid_end: pd.DataFrame
    actual: np.ndarray
    scales: np.ndarray
    reference: tuple[float, float]
    wide: bool = False  # trials train on a GPU: the larger search space

    @classmethod
    def build(
        cls,
        model: str,
        panel: pd.DataFrame,
        target: str,
        season: int,
        horizon: int,
        test_steps: int,
        settings: list[str],
        max_epochs: int,
        trial_windows: int = 0,
    ) -> Problem:
        """The validation problem of ``panel`` (its last ``test_steps`` left unread)."""
        to_valid_end = drop_last(panel, test_steps)[[target]]
        fit_part = drop_last(to_valid_end, horizon)
        frames = [frame[target].to_numpy(dtype=float) for _, frame in iter_series(to_valid_end)]
        actual = np.stack([values[-horizon:] for values in frames])
        # each series' MASE scale, NaN where it has none
        scales = np.array([metrics.seasonal_scale(values[:-horizon], season) for values in frames])
        naive2 = create_model("naive2", season=season)
        reference = panel_backtest(naive2, to_valid_end, target, horizon, season=season)
        problem = cls(
            model,
            list(settings),
            season,
            horizon,
            max_epochs,
            trial_windows,
            fit_part,
            to_valid_end,
            actual,
            scales,
            (reference.metrics["smape"], reference.metrics["mase"]),
        )
        problem.forecaster({})  # a bad --set fails here, before any trial
        return problem

    def forecaster(self, params: dict[str, Any], capped: bool = True) -> NeuralForecaster:
        """The model with its panel defaults, the settings, then ``params`` (dotted keys);
        ``capped``: a trial's budget (``max_epochs`` epochs of ``trial_windows``). A trial
        trains one network, also where the panel defaults ask for an ensemble (rnn's)."""
        single = ["ensemble=1"] if issubclass(model_class(self.model), NeuralForecaster) else []
        chosen = [
            *single,
            *self.settings,
            *(f"{key}={text(value)}" for key, value in params.items()),
        ]
        (model,) = default_models(
            self.season, self.horizon, [self.model], panel=True, settings=chosen
        )
        if not isinstance(model, NeuralForecaster):
            raise SeqcastError(f"tune searches the neural models; {self.model} is not one")
        if model.ensemble != 1:
            raise SeqcastError("tune trains single networks: leave ensemble at 1")
        if capped:
            model.train.epochs = min(model.train.epochs, self.max_epochs)
            own = model.train.windows_per_epoch
            if self.trial_windows and (own == 0 or own > self.trial_windows):
                model.train.windows_per_epoch = self.trial_windows
        return model

    def settings_of(self, params: dict[str, Any]) -> list[str]:
        """The ``--set`` settings that rebuild ``forecaster(params, capped=False)`` over the
        panel defaults: every parameter they, the settings or ``params`` touch, and every
        one that differs from the model's own defaults."""
        model = self.forecaster(params, capped=False)
        defaults = model_class(self.model).defaults_for(self.season, self.horizon, panel=True)
        keys: dict[str, None] = {}
        for key, value in defaults.items():  # train: {...} -> train.epochs, ...
            keys |= dict.fromkeys(
                [f"{key}.{k}" for k in value] if isinstance(value, dict) else [key]
            )
        given = (setting.partition("=")[0].strip() for setting in self.settings)
        keys |= dict.fromkeys(key for key in given if key != "train.device")  # where, not what
        keys |= dict.fromkeys([*params, *model.changed_params()])
        values = []
        for key in keys:
            head, _, inner = key.partition(".")
            value = getattr(getattr(model, head), inner) if inner else getattr(model, head)
            values.append(f"{key}={text(value)}")
        return values

    def score(self, predicted: np.ndarray) -> dict[str, float]:
        """sMAPE, MASE and OWA of (N, H) validation forecasts, as a panel backtest scores
        them (means over series)."""
        per_series = metrics.series_scores(self.actual, predicted, self.scales)
        smape, mase = (float(metrics.mean_over_series(per_series[k])) for k in ("smape", "mase"))
        return {"smape": smape, "mase": mase, "owa": metrics.owa(smape, mase, *self.reference)}


def run_trial(
    problem: Problem,
    params: dict[str, Any],
    report: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train one configuration and score it on validation; ``report(epoch, scores)`` sees
    the current network's validation scores after every epoch (it may raise to stop the
    trial). Returns the final scores (best weights), the epochs and the seconds."""
    clock = time.perf_counter()
    model = problem.forecaster(params)
    origins = last_rows(problem.to_valid_end) - problem.horizon

    def forecast() -> np.ndarray:  # (N, H)
        return model.forecast_origins(problem.to_valid_end, origins, problem.horizon)[..., 0, 0]

    def after_epoch(history: Any) -> None:
        if report is not None:
            report(history.epochs, problem.score(forecast()))

    target = problem.fit_part.columns[0]
    model.fit(problem.fit_part, target, on_epoch=after_epoch)
    return {
        **problem.score(forecast()),
        "epochs": model.trained_.history.epochs,
        "seconds": time.perf_counter() - clock,
    }


def text(value: Any) -> str:
    """A parameter value as ``--set`` reads it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return str(value)
