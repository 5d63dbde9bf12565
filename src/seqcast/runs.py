"""Training one neural model into a folder, and forecasting with a saved one: one call each.

``fit_model`` trains on a date range of a data source (early-stopping on another range when
given) and returns a ``FitRun``; its ``save(folder)`` writes model.pt (a checkpoint that
records the data source), training.json and learning_curve.png. ``open_checkpoint`` gives a
saved model with the data it was trained on (or other data). ``forecast`` forecasts from
the end of the data or from an origin inside it, with the truth beside the forecast when
there is one, as a ``ForecastRun`` whose ``save(folder)`` writes forecast.csv and
forecast.png. A panel is forecast after each series' last row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.data.io import require_numeric
from seqcast.data.panel import is_panel, require_numeric_panel, series_ids
from seqcast.data.sources import DataSource
from seqcast.data.splits import date_slice
from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.models.conformal import Conformal, Intervals
from seqcast.models.intervals import level_name
from seqcast.models.neural import NeuralForecaster
from seqcast.models.registry import create_model, model_class, model_from_checkpoint
from seqcast.results import json_ready, results_dir, write_json

PANEL_EXAMPLES = 4  # the series of a panel drawn in forecast.png


@dataclass
class FitRun:
    """A trained model, the data source, and the first and last dates it trained on."""

    model: NeuralForecaster
    source: DataSource
    first: pd.Timestamp
    last: pd.Timestamp

    def summary(self) -> dict[str, Any]:
        """training.json: settings, dates, epochs, best epoch and validation MAE, seconds per
        epoch, parameter count and the per-epoch history."""
        record = self.model.trained_.history
        return json_ready(
            {
                "model": self.model.name,
                "params": self.model.params(),
                "targets": self.model.targets_,
                "first": str(self.first),
                "last": str(self.last),
                "epochs": record.epochs,
                "best_epoch": record.best_epoch,
                "best_valid_mae": min(record.valid_mae, default=None),
                "seconds_per_epoch": sum(record.seconds) / max(record.epochs, 1),
                "parameters": sum(p.numel() for p in self.model.trained_.module.parameters()),
                "history": record.to_dict(),
            }
        )

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: model.pt, training.json and learning_curve.png."""
        from seqcast.plots import plot_learning_curve

        folder = Path(folder)
        with results_dir(folder) as tmp:
            self.model.save(tmp / "model.pt", data_source=self.source.to_dict())
            record = self.model.trained_.history
            plot_learning_curve(record.train_loss, record.valid_mae, tmp / "learning_curve.png")
            write_json(tmp / "training.json", self.summary())
        return folder


def fit_model(
    name: str,
    source: DataSource,
    targets: str | Sequence[str],
    params: dict[str, Any] | None = None,
    *,
    train_range: tuple[str | None, str | None] = (None, None),
    valid_range: tuple[str | None, str | None] | None = None,
    resume: str | Path | None = None,
    interrupt_checkpoint: str | Path | None = None,
) -> FitRun:
    """Train the neural model ``name`` (with ``params``) on ``source`` between the dates of
    ``train_range`` (inclusive; None: the data's first or last), early-stopping on
    ``valid_range`` when given (else on the last ``train.valid_fraction`` of the windows).
    ``resume`` and ``interrupt_checkpoint`` are as in ``NeuralForecaster.fit``."""
    if not issubclass(model_class(name), NeuralForecaster):
        raise SeqcastError(f"{name} has no checkpoint to save; fit takes a neural model")
    model = create_model(name, **(params or {}))
    assert isinstance(model, NeuralForecaster)
    frame = source.load()
    part = date_slice(frame, *train_range, what="training range")
    valid = date_slice(frame, *valid_range, what="validation range") if valid_range else None
    model.fit(part, targets, valid=valid, resume=resume, interrupt_checkpoint=interrupt_checkpoint)
    times = part.index.get_level_values(-1)  # a panel's too
    return FitRun(model, source, times.min(), times.max())


def open_checkpoint(
    path: str | Path, source: DataSource | None = None, device: str = "auto"
) -> tuple[NeuralForecaster, pd.DataFrame]:
    """The model saved in ``path``, its network on ``device``, and the data of ``source``
    (default: the source the checkpoint records, so the latest values of the data it was
    trained on)."""
    from seqcast.checkpoint import load_checkpoint

    payload = load_checkpoint(path)
    model = model_from_checkpoint(payload, path, device)
    if not isinstance(model, NeuralForecaster):
        raise SeqcastError(f"{path} holds a {model.name} model, not a neural one")
    if source is None:
        if not payload.get("data_source"):
            raise SeqcastError(
                f"{path} does not say where its data came from; give --dataset or --csv"
            )
        source = DataSource.from_dict(payload["data_source"])
    return model, source.load()


@dataclass
class ForecastRun:
    """``forecast`` (n, K) after the last row of ``history`` (with ``levels``, each
    target's interval bounds after the targets: ``{target}_lo_95``, ...), the ``truth`` of
    those steps where the data has them (possibly none), and the whole ``data``."""

    model: NeuralForecaster
    data: pd.DataFrame
    history: pd.DataFrame
    forecast: pd.DataFrame
    truth: pd.DataFrame
    levels: tuple[float, ...] = ()

    def table(self) -> pd.DataFrame:
        """The forecast, with a ``COLUMN (truth)`` column beside each where there is truth."""
        if self.truth.empty:
            return self.forecast
        return self.forecast.join(self.truth.add_suffix(" (truth)"))

    def save(self, folder: str | Path) -> Path:
        """Write a new ``folder``: forecast.csv (``table``) and forecast.png (the first
        target's last 4·n steps before the origin, the forecast and the truth; with
        ``levels``, a fan chart of the intervals)."""
        from seqcast.plots import plot_fan, plot_forecasts

        folder = Path(folder)
        n = len(self.forecast)
        target = self.model.targets_[0]
        origin = len(self.history)
        title = f"{self.model.name}: {target}, {n} steps after {self.history.index[-1]}"
        with results_dir(folder) as tmp:
            self.table().to_csv(tmp / "forecast.csv")
            if is_panel(self.data):
                self._plot_panel(tmp / "forecast.png", PANEL_EXAMPLES)
            elif self.levels:
                names = [level_name(level) for level in self.levels]
                plot_fan(
                    self.forecast[target],
                    {
                        name: (
                            self.forecast[f"{target}_lo_{name}"],
                            self.forecast[f"{target}_hi_{name}"],
                        )
                        for name in names
                    },
                    tmp / "forecast.png",
                    truth=self.truth[target] if not self.truth.empty else None,
                    history=self.history[target].iloc[-4 * n :],
                    title=title,
                )
            else:
                plot_forecasts(
                    self.data[target].iloc[max(0, origin - 4 * n) : origin + n],
                    {"forecast": self.forecast[target]},
                    tmp / "forecast.png",
                    title,
                )
        return folder

    def _plot_panel(self, path: Path, count: int) -> None:
        """The first target of the panel's first ``count`` series: its last 4·n values and
        the forecast."""
        from seqcast.plots import plot_panel_examples

        target = self.model.targets_[0]
        examples = []
        for key in series_ids(self.forecast)[:count]:
            ahead = self.forecast.xs(key, level=0)[target]
            history = self.history.xs(key, level=0)[target].iloc[-4 * len(ahead) :]
            examples.append((f"{key}: {target}", history, ahead.iloc[:0], {"forecast": ahead}))
        plot_panel_examples(examples, path)


def forecast(
    model: NeuralForecaster,
    data: pd.DataFrame,
    horizon: int,
    *,
    origin: str | None = None,
    future: pd.DataFrame | None = None,
    intervals: Intervals | None = None,
) -> ForecastRun:
    """Forecast ``horizon`` steps after ``data`` or, with ``origin``, after that date
    (the model sees the data up to it). Known-ahead columns come from ``future``, or for an
    origin inside the data from the data's own later rows. ``intervals`` adds prediction
    intervals: the model's own (a distribution ``train.loss``), or conformal ones from
    its errors on the ``intervals.origins`` origins just before the forecast
    (``Conformal.calibrated``)."""
    if is_panel(data):
        if origin is not None or future is not None:
            raise SeqcastError(
                "a panel is forecast after each series' last row: --origin and --future take "
                "one series (seqcast backtest --start DATE forecasts a panel from inside it)"
            )
        require_numeric_panel(data, model.targets_)
    else:
        require_numeric(data, model.targets_)
    history = data if origin is None else date_slice(data, None, origin, what="--origin")
    if future is None and model.known_ahead and len(history) < len(data):
        future = data.iloc[len(history) :]
    truth = data[model.targets_].iloc[len(history) : len(history) + horizon]
    if intervals is None:
        result = model.predict(horizon, history=history, future=future)
        return ForecastRun(model, data, history, result, truth)
    source: Forecaster = (
        model
        if intervals.own(model)
        else Conformal.calibrated(model, history, horizon, intervals.origins)
    )
    result = source.predict_interval(horizon, intervals.levels, history=history, future=future)
    return ForecastRun(model, data, history, result, truth, intervals.levels)
