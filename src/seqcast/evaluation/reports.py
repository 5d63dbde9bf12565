"""A benchmark's pictures and report.html: of one series, and of a panel.

Both pages show the run's facts, the leaderboard, the pictures and the per-step table; with
prediction intervals, a fan chart of the best model and a calibration plot of all of them.
A picture that cannot be drawn (the unit-root test of a constant series, say) is left out
with its reason among the facts: a report never costs the results it reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.evaluation.backtest import BacktestResult
from seqcast.evaluation.panel import PanelBacktestResult, unscaled_note
from seqcast.models.intervals import level_name


class Sections:
    """A report's sections in order; ``picture`` draws one into ``folder`` or, when
    drawing raises, notes why it is missing (``skipped``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.content: dict[str, pd.DataFrame | Path] = {}
        self.skipped: list[str] = []

    def table(self, caption: str, frame: pd.DataFrame) -> None:
        self.content[caption] = frame

    def picture(self, caption: str, filename: str, draw: Callable[[Path], object]) -> None:
        path = self.folder / filename
        try:
            draw(path)
        except Exception as error:  # a picture is never worth the results it shows
            path.unlink(missing_ok=True)
            self.skipped.append(f"{caption}: {type(error).__name__}: {error}")
            return
        self.content[caption] = path

    def facts(self, facts: dict[str, Any]) -> dict[str, Any]:
        """``facts``, and the pictures left out with why."""
        return {**facts, **({"not drawn": "; ".join(self.skipped)} if self.skipped else {})}


def write_benchmark_report(
    folder: Path,
    leaderboard: pd.DataFrame,
    results: Sequence[BacktestResult],
    data: pd.DataFrame,
    title: str,
    top: int = 5,
) -> Path:
    """Pictures (the series with the fit and backtest spans, ACF/PACF of the fitted part's
    last ``analysis.RECENT`` points, 1-step forecasts of the ``top`` models against the
    truth, MAE per step ahead) and ``report.html`` (the leaderboard, the pictures, the
    per-step table) in ``folder``."""
    from seqcast.analysis import RECENT, analyze
    from seqcast.plots import plot_per_horizon, plot_series
    from seqcast.report import write_report

    first = results[0]
    target = first.targets[0]
    forecasts = first.forecasts
    span_start, span_end = forecasts["time"].min(), forecasts["time"].max()
    series = data[target]
    before = series.loc[: forecasts["origin"].min()]
    best = _best(leaderboard, results, top)
    per_horizon = pd.DataFrame({r.model: r.per_horizon["mae"] for r in results})
    sections = Sections(folder)
    sections.table("Leaderboard", leaderboard.set_index("rank"))
    sections.picture(
        "the series, the fitted part and the backtest span",
        "series.png",
        lambda path: plot_series(
            series,
            {"fitted on": (before.index[0], before.index[-1]), "backtest": (span_start, span_end)},
            path,
            f"{target}: the data, what the models were fitted on, the backtest span",
        ),
    )
    which = "the fitted part" if len(before) <= RECENT else f"its last {RECENT:,} points"
    sections.picture(
        f"ACF and PACF of {which}",
        "acf_pacf.png",
        lambda path: analyze(before.to_numpy(dtype=float)).plot(
            path, f"{target}: autocorrelation of {which}"
        ),
    )
    sections.picture(
        f"1-step forecasts of the best {len(best)} models against the truth",
        "forecasts.png",
        lambda path: _one_step(path, series, {r.model: r for r in results}, best, target),
    )
    sections.picture(
        f"MAE per step ahead, best {len(best)} models",
        "per_horizon.png",
        lambda path: plot_per_horizon(per_horizon[best], path),
    )
    sections.table("MAE per step ahead", per_horizon)
    interval_sections(sections, results, best[0])
    facts = {
        "target": ", ".join(first.targets),
        "origins": first.n_forecasts,
        "steps ahead": first.horizon,
        "backtest": f"{_day(span_start)} to {_day(span_end)}",
    }
    report = folder / "report.html"
    write_report(report, title, sections.facts(facts), sections.content)
    return report


def _one_step(
    path: Path,
    series: pd.Series,
    by_model: dict[str, BacktestResult],
    best: list[str],
    target: str,
) -> None:
    """The 1-step forecasts of the ``best`` models against the truth."""
    from seqcast.plots import plot_forecasts

    one_step = {}
    for name in best:
        rows = by_model[name].forecasts
        rows = rows[(rows["step"] == 1) & (rows["target"] == target)]
        one_step[name] = pd.Series(rows["forecast"].to_numpy(), index=rows["time"])
    first_steps = next(iter(one_step.values())).index
    truth = series.loc[first_steps[0] : first_steps[-1]]
    plot_forecasts(truth, one_step, path, f"{target}: 1-step forecasts")


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
    from seqcast.plots import plot_per_horizon
    from seqcast.report import write_report

    best = _best(leaderboard, results, top)
    per_horizon = pd.DataFrame({r.model: r.per_horizon["smape"] for r in results})
    sections = Sections(folder)
    sections.table("Leaderboard", leaderboard.set_index("rank"))
    sections.picture(
        f"sMAPE per step ahead, best {len(best)} models",
        "per_horizon.png",
        lambda path: plot_per_horizon(per_horizon[best], path, "sMAPE %"),
    )
    sections.picture(
        "Four series, from the best model's most to its least accurate",
        "series.png",
        lambda path: _examples(path, {r.model: r for r in results}, best, data),
    )
    sections.table("sMAPE per step ahead", per_horizon)
    interval_sections(sections, results, best[0])
    scores, first = reference.metrics, results[0]
    facts = {
        "series": first.n_series,
        "steps ahead": first.horizon,
        "windows per series": first.windows,
        "season (MASE, Naive2)": first.season,
        "OWA's reference, Naive2": f"sMAPE {scores['smape']:.3f}, MASE {scores['mase']:.3f}",
    }
    if reference.unscaled:
        facts["left out of MASE, MSIS and OWA"] = unscaled_note(reference)
    report = folder / "report.html"
    write_report(report, title, sections.facts(facts), sections.content)
    return report


def _examples(
    path: Path, by_model: dict[str, PanelBacktestResult], best: list[str], data: pd.DataFrame
) -> None:
    """Four series, from the best model's most to least accurate, with the best three
    models' last forecasts."""
    from seqcast.plots import plot_panel_examples

    leader = by_model[best[0]]
    order = leader.per_series["smape"].sort_values(kind="mergesort").index
    picks = list(dict.fromkeys(order[int(q * (len(order) - 1))] for q in (0, 1 / 3, 2 / 3, 1)))
    held = leader.windows * leader.horizon
    examples = []
    for key in picks:
        series = data.loc[key, leader.target]
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
    plot_panel_examples(examples, path)


def interval_sections(
    sections: Sections,
    results: Sequence[BacktestResult] | Sequence[PanelBacktestResult],
    best: str,
) -> None:
    """The ``best`` model's fan chart, calibration.png (observed coverage per level, one
    line per model) and the coverage table; none when the results have no intervals."""
    from seqcast.plots import plot_calibration

    levels = results[0].levels
    if not levels:
        return
    leader = next(r for r in results if r.model == best)
    sections.picture(
        f"{best}: forecasts with their intervals against the truth",
        "fan.png",
        leader.fan_chart,
    )
    coverage = pd.DataFrame(
        {
            r.model: [r.metrics[f"coverage_{level_name(level)}"] for level in levels]
            for r in results
        },
        index=pd.Index(list(levels), name="level %"),
    )
    sections.picture(
        "Calibration: observed against nominal coverage",
        "calibration.png",
        lambda path: plot_calibration(coverage, path, "Observed against nominal coverage"),
    )
    sections.table("Observed coverage per level", coverage)


def _best(leaderboard: pd.DataFrame, results: Sequence[Any], top: int) -> list[str]:
    """The ``top`` models of the board that gave results (a failed model has none)."""
    ran = {r.model for r in results}
    return [name for name in leaderboard["model"] if name in ran][:top]


def _day(stamp: pd.Timestamp) -> str:
    """The date alone when the time is midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
