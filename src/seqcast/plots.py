"""Pictures as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqcast.analysis import Analysis


def plot_acf_pacf(analysis: Analysis, path: Path, title: str = "") -> None:
    """ACF and PACF stems, lags 1..L, with the ±1.96/√n band shaded and seasonal lags marked."""
    plt = _pyplot()
    lags = np.arange(1, analysis.lags + 1)
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for ax, name, values in (
        (axes[0], "ACF", np.asarray(analysis.acf)[1:]),
        (axes[1], "PACF", np.asarray(analysis.pacf)[1:]),
    ):
        ax.axhspan(-analysis.band, analysis.band, color="tab:blue", alpha=0.15, label="95 % band")
        ax.vlines(lags, 0, values, color="black", linewidth=1)
        ax.plot(lags, values, "o", color="black", markersize=3)
        ax.axhline(0, color="grey", linewidth=0.8)
        if analysis.season:
            for k in range(analysis.season, analysis.lags + 1, analysis.season):
                ax.axvline(k, color="tab:red", linewidth=0.8, linestyle=":")
        ax.set_ylabel(name)
        ax.set_ylim(-1.05, 1.05)
    axes[0].set_title(title or "Autocorrelation")
    axes[0].legend(loc="lower left")
    axes[1].set_xlabel(
        "lag" + (f" (dotted: multiples of s = {analysis.season})" if analysis.season else "")
    )
    _save(fig, path)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)


def plot_series(
    series: pd.Series, spans: dict[str, tuple[Any, Any]], path: Path, title: str = ""
) -> None:
    """The series with named spans shaded (e.g. train, valid, test: (first, last) dates)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.2))
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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.2))
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
    plt = _pyplot()
    steps, models = len(table), len(table.columns)
    fig, ax = plt.subplots(figsize=(10, 3.4) if models <= 5 else (12, 4.2))
    if models > 10:  # tab10 would repeat colours
        ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)
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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(errors.index, errors[metric], "o-", color="tab:red")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(errors.index), [str(k) for k in errors.index])
    ax.set_xlabel("k (steps predicted by feeding predictions back)")
    ax.set_ylabel(metric.upper())
    ax.set_title("k-step-ahead error")
    _save(fig, path)
