"""A benchmark's pictures and report.html: of one series, and of a panel.

Both pages show the run's facts, the leaderboard, the pictures and the per-step table; with
prediction intervals, a fan chart of the best model and a calibration plot of all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.evaluation.backtest import BacktestResult
from seqcast.evaluation.panel import PanelBacktestResult
from seqcast.models.intervals import level_name


def write_benchmark_report(
    folder: Path,
    leaderboard: pd.DataFrame,
    results: Sequence[BacktestResult],
    data: pd.DataFrame,
    title: str,
    top: int = 5,
) -> Path:
    """Pictures (the series with the fit and backtest spans, ACF/PACF of the fitted part,
    1-step forecasts of the ``top`` models against the truth, MAE per step ahead) and
    ``report.html`` (the leaderboard, the pictures, the per-step table) in ``folder``."""
    from seqcast.analysis import analyze
    from seqcast.plots import plot_forecasts, plot_per_horizon, plot_series
    from seqcast.report import write_report

    first = results[0]
    target = first.targets[0]
    forecasts = first.forecasts
    span_start, span_end = forecasts["time"].min(), forecasts["time"].max()
    series = data[target]
    before = series.loc[: forecasts["origin"].min()]
    plot_series(
        series,
        {"fitted on": (before.index[0], before.index[-1]), "backtest": (span_start, span_end)},
        folder / "series.png",
        f"{target}: the data, what the models were fitted on, the backtest span",
    )
    analyze(before.to_numpy(dtype=float)).plot(
        folder / "acf_pacf.png", f"{target}: autocorrelation of the fitted part"
    )
    best = list(leaderboard["model"][:top])
    by_model = {r.model: r for r in results}
    one_step = {}
    for name in best:
        rows = by_model[name].forecasts
        rows = rows[(rows["step"] == 1) & (rows["target"] == target)]
        one_step[name] = pd.Series(rows["forecast"].to_numpy(), index=rows["time"])
    first_steps = next(iter(one_step.values())).index
    truth = series.loc[first_steps[0] : first_steps[-1]]
    plot_forecasts(truth, one_step, folder / "forecasts.png", f"{target}: 1-step forecasts")
    per_horizon = pd.DataFrame({r.model: r.per_horizon["mae"] for r in results})
    plot_per_horizon(per_horizon[best], folder / "per_horizon.png")
    report = folder / "report.html"
    write_report(
        report,
        title,
        {
            "target": ", ".join(first.targets),
            "origins": first.n_forecasts,
            "steps ahead": first.horizon,
            "backtest": f"{_day(span_start)} to {_day(span_end)}",
        },
        {
            "Leaderboard": leaderboard.set_index("rank"),
            "the series, the fitted part and the backtest span": folder / "series.png",
            "ACF and PACF of the fitted part": folder / "acf_pacf.png",
            f"1-step forecasts of the best {len(best)} models against the truth": folder
            / "forecasts.png",
            f"MAE per step ahead, best {len(best)} models": folder / "per_horizon.png",
            "MAE per step ahead": per_horizon,
            **interval_sections(results, best[0], folder),
        },
    )
    return report


def write_panel_report(
    folder: Path,
    leaderboard: pd.DataFrame,
    results: Sequence[PanelBacktestResult],
    reference: PanelBacktestResult,
    data: pd.DataFrame,
    title: str,
    top: int = 5,
) -> Path:
    """per_horizon.png (sMAPE per step ahead of the ``top`` models), series.png (four
    series, from the best model's most to least accurate, with the best three models'
    last forecasts) and report.html (the run's facts, the leaderboard, the pictures and
    the per-step table) in ``folder``; ``reference`` is OWA's (Naive2)."""
    from seqcast.plots import plot_panel_examples, plot_per_horizon
    from seqcast.report import write_report

    best = list(leaderboard["model"][:top])
    per_horizon = pd.DataFrame({r.model: r.per_horizon["smape"] for r in results})
    plot_per_horizon(per_horizon[best], folder / "per_horizon.png", "sMAPE %")
    by_model = {r.model: r for r in results}
    leader = by_model[best[0]]
    order = leader.per_series["smape"].sort_values(kind="mergesort").index
    picks = list(dict.fromkeys(order[int(q * (len(order) - 1))] for q in (0, 1 / 3, 2 / 3, 1)))
    examples = []
    for key in picks:
        series = data.loc[key, leader.target]
        held = leader.windows * leader.horizon
        history = series.iloc[max(0, len(series) - held - 3 * leader.horizon) : len(series) - held]
        truth = series.iloc[len(series) - held :]
        forecasts = {}
        for name in best[:3]:
            rows = by_model[name].forecasts
            rows = rows[rows["id"] == key]
            forecasts[name] = pd.Series(
                rows["forecast"].to_numpy(), index=pd.DatetimeIndex(rows["time"])
            )
        smape = leader.per_series.loc[key, "smape"]
        examples.append((f"{key} ({best[0]} sMAPE {smape:.1f})", history, truth, forecasts))
    plot_panel_examples(examples, folder / "series.png")
    scores = reference.metrics
    first = results[0]
    report = folder / "report.html"
    write_report(
        report,
        title,
        {
            "series": first.n_series,
            "steps ahead": first.horizon,
            "windows per series": first.windows,
            "season (MASE, Naive2)": first.season,
            "OWA's reference, Naive2": f"sMAPE {scores['smape']:.3f}, MASE {scores['mase']:.3f}",
        },
        {
            "Leaderboard": leaderboard.set_index("rank"),
            f"sMAPE per step ahead, best {len(best)} models": folder / "per_horizon.png",
            "Four series, from the best model's most to its least accurate": folder / "series.png",
            "sMAPE per step ahead": per_horizon,
            **interval_sections(results, best[0], folder),
        },
    )
    return report


def interval_sections(
    results: Sequence[BacktestResult] | Sequence[PanelBacktestResult], best: str, folder: Path
) -> dict[str, Any]:
    """Draw the ``best`` model's fan chart (fan.png) and calibration.png (observed coverage
    per level, one line per model) and return their report sections, with the coverage
    table; none when the results have no intervals."""
    from seqcast.plots import plot_calibration

    levels = results[0].levels
    if not levels:
        return {}
    next(r for r in results if r.model == best).fan_chart(folder / "fan.png")
    coverage = pd.DataFrame(
        {
            r.model: [r.metrics[f"coverage_{level_name(level)}"] for level in levels]
            for r in results
        },
        index=pd.Index(list(levels), name="level %"),
    )
    plot_calibration(coverage, folder / "calibration.png", "Observed against nominal coverage")
    return {
        f"{best}: forecasts with their intervals against the truth": folder / "fan.png",
        "Calibration: observed against nominal coverage": folder / "calibration.png",
        "Observed coverage per level": coverage,
    }


def _day(stamp: pd.Timestamp) -> str:
    """The date alone when the time is midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
