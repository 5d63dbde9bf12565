"""Pictures as PNG files.

matplotlib figures are made directly (``matplotlib.figure.Figure``), not through pyplot, so
drawing needs no screen and leaves the user's backend and open figures alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def plot_acf_pacf(
    acf: Sequence[float],
    pacf: Sequence[float],
    band: float,
    path: Path,
    season: int | None = None,
    title: str = "",
) -> None:
    """ACF and PACF stems (both indexed by lag from 0), lags 1..L, with the ±``band`` region
    (±1.96/√n) shaded and multiples of ``season`` marked."""
    n_lags = len(acf) - 1
    lags = np.arange(1, n_lags + 1)
    fig = _figure((9, 6))
    axes = fig.subplots(2, 1, sharex=True)
    for ax, name, values in (
        (axes[0], "ACF", np.asarray(acf)[1:]),
        (axes[1], "PACF", np.asarray(pacf)[1:]),
    ):
        ax.axhspan(-band, band, color="tab:blue", alpha=0.15, label="95 % band")
        ax.vlines(lags, 0, values, color="black", linewidth=1)
        ax.plot(lags, values, "o", color="black", markersize=3)
        ax.axhline(0, color="grey", linewidth=0.8)
        if season:
            for k in range(season, n_lags + 1, season):
                ax.axvline(k, color="tab:red", linewidth=0.8, linestyle=":")
        ax.set_ylabel(name)
        ax.set_ylim(-1.05, 1.05)
    axes[0].set_title(title or "Autocorrelation")
    axes[0].legend(loc="lower left")
    axes[1].set_xlabel("lag" + (f" (dotted: multiples of s = {season})" if season else ""))
    _save(fig, path)


def _figure(size: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=size)


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)  # Agg, chosen from the file type


def plot_series(
    series: pd.Series, spans: dict[str, tuple[Any, Any]], path: Path, title: str = ""
) -> None:
    """The series with named spans shaded (e.g. train, valid, test: (first, last) dates)."""
    fig = _figure((10, 3.2))
    ax = fig.subplots()
    ax.plot(series.index, series.to_numpy(), color="black", linewidth=0.8)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for (name, (first, last)), colour in zip(spans.items(), colours, strict=False):
        ax.axvspan(first, last, color=colour, alpha=0.15, label=name)
    if spans:
        ax.legend(loc="upper left")
    ax.set_title(title or str(series.name))
    _save(fig, path)


def plot_forecasts(
    truth: pd.Series, forecasts: dict[str, pd.Series], path: Path, title: str = ""
) -> None:
    """Truth and one or more forecasts over the same dates."""
    fig = _figure((10, 3.2))
    ax = fig.subplots()
    ax.plot(truth.index, truth.to_numpy(), color="black", linewidth=1, label="truth")
    for name, values in forecasts.items():
        ax.plot(values.index, values.to_numpy(), linewidth=1, label=name)
    ax.legend(loc="upper left")
    ax.set_title(title or "forecast vs truth")
    _save(fig, path)


def plot_per_horizon(
    table: pd.DataFrame, path: Path, metric: str = "MAE", bars: bool | None = None
) -> None:
    """``table`` (steps +1..+H as rows, models as columns) of one metric: grouped bars
    (default for up to 14 steps and 5 models) or lines."""
    from matplotlib import colormaps

    steps, models = len(table), len(table.columns)
    fig = _figure((10, 3.4) if models <= 5 else (12, 4.2))
    ax = fig.subplots()
    if models > 10:  # tab10 would repeat colours
        ax.set_prop_cycle(color=[colormaps["tab20"](i) for i in range(20)])
    if bars if bars is not None else (steps <= 14 and models <= 5):
        width = 0.8 / models
        x = np.arange(steps)
        for i, model in enumerate(table.columns):
            ax.bar(x + i * width, table[model].to_numpy(), width, label=model)
        ax.set_xticks(x + 0.4 - width / 2, [f"+{s}" for s in table.index])
    else:
        for model in table.columns:
            ax.plot(table.index, table[model].to_numpy(), marker=".", label=model)
    ax.set_xlabel("steps ahead")
    ax.set_ylabel(metric)
    if models <= 5:
        ax.legend(ncol=min(models, 4), fontsize="small")
    else:  # beside the plot, not over the lines
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.set_title(f"{metric} per step ahead")
    _save(fig, path)


def plot_learning_curve(
    train_loss: list[float], valid: list[float], path: Path, valid_label: str = "valid MAE"
) -> None:
    """Training loss and the validation metric per epoch (two axes)."""
    fig = _figure((7, 3.2))
    ax = fig.subplots()
    epochs = np.arange(1, len(train_loss) + 1)
    ax.plot(epochs, train_loss, color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss", color="tab:blue")
    if valid and not all(np.isnan(valid)):
        other = ax.twinx()
        other.plot(epochs, valid, color="tab:orange", label=valid_label)
        other.set_ylabel(valid_label, color="tab:orange")
    ax.set_title("learning curve")
    _save(fig, path)


def plot_kstep(errors: pd.DataFrame, path: Path, metric: str = "mse") -> None:
    """Error against k (log-scaled k axis) for k-step-ahead predictions."""
    fig = _figure((6, 3.2))
    ax = fig.subplots()
    ax.plot(errors.index, errors[metric], "o-", color="tab:red")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(errors.index), [str(k) for k in errors.index])
    ax.set_xlabel("k (steps predicted by feeding predictions back)")
    ax.set_ylabel(metric.upper())
    ax.set_title("k-step-ahead error")
    _save(fig, path)


def plot_panel_examples(
    examples: list[tuple[str, pd.Series, pd.Series, dict[str, pd.Series]]],
    path: Path,
) -> None:
    """One panel per example series: (title, the history shown, the truth after it, the
    forecasts by model), in a grid two wide."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    rows = (len(examples) + 1) // 2
    fig = _figure((11, 3.0 * rows))
    axes = np.atleast_1d(fig.subplots(rows, 2, squeeze=False).ravel())
    for ax, (title, history, truth, forecasts) in zip(axes, examples, strict=False):
        ax.plot(history.index, history.to_numpy(), color="grey", linewidth=0.8, label="history")
        ax.plot(truth.index, truth.to_numpy(), color="black", linewidth=1.2, label="truth")
        for name, values in forecasts.items():
            ax.plot(values.index, values.to_numpy(), linewidth=1, label=name)
        ax.set_title(title, fontsize="small")
        ax.tick_params(labelsize="x-small")
        locator = AutoDateLocator(maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    for ax in axes[len(examples) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="x-small", loc="upper left")
    _save(fig, path)


def plot_fan(
    forecast: pd.Series,
    bands: dict[str, tuple[pd.Series, pd.Series]],
    path: Path,
    truth: pd.Series | None = None,
    history: pd.Series | None = None,
    title: str = "",
) -> None:
    """A fan chart: the ``forecast`` with its interval ``bands`` ({"95": (lower, upper)},
    drawn widest first, lighter), the ``truth`` over the same steps when known, and the
    ``history`` before them."""
    fig = _figure((10, 4))
    ax = fig.subplots()
    if history is not None:
        ax.plot(history.index, history.to_numpy(), color="grey", linewidth=1, label="history")
    ordered = sorted(bands.items(), key=lambda item: -float(item[0]))
    for i, (level, (lower, upper)) in enumerate(ordered):
        ax.fill_between(
            forecast.index,
            lower.to_numpy(),
            upper.to_numpy(),
            color="tab:blue",
            alpha=0.18 + 0.17 * i,
            linewidth=0,
            label=f"{level} % interval",
        )
    ax.plot(forecast.index, forecast.to_numpy(), color="tab:blue", linewidth=1.2, label="forecast")
    if truth is not None:
        ax.plot(truth.index, truth.to_numpy(), color="black", linewidth=1, label="truth")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    _save(fig, path)


def plot_calibration(coverage: pd.DataFrame, path: Path, title: str = "") -> None:
    """Observed against nominal coverage: ``coverage`` has a row per level (percent) and a
    column per model of the observed share (0..1); the diagonal is perfect calibration."""
    fig = _figure((5, 5))
    ax = fig.subplots()
    ax.plot([0, 100], [0, 100], color="grey", linestyle=":", linewidth=1, label="calibrated")
    nominal = coverage.index.to_numpy(dtype=float)
    for name in coverage.columns:
        ax.plot(nominal, 100 * coverage[name].to_numpy(), "o-", markersize=4, label=str(name))
    low = max(0.0, float(min(nominal.min(), 100 * np.nanmin(coverage.to_numpy()))) - 5)
    ax.set_xlim(low, 100)
    ax.set_ylim(low, 100)
    ax.set_xlabel("nominal coverage (%)")
    ax.set_ylabel("observed coverage (%)")
    ax.set_title(title or "Calibration")
    ax.legend(loc="upper left", fontsize="small")
    _save(fig, path)
