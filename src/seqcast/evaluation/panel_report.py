"""The pictures and report.html of a panel benchmark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqcast.evaluation.panel import PanelBenchmark


def write_panel_report(board: PanelBenchmark, folder: Path, top: int = 5) -> Path:
    """per_horizon.png (sMAPE per step ahead of the ``top`` models), series.png (four
    series, from the best model's most to least accurate, with the best three models'
    last forecasts) and report.html (the run's facts, the leaderboard, the pictures and
    the per-step table) in ``folder``."""
    from seqcast.evaluation.interval_report import interval_sections
    from seqcast.plots import plot_panel_examples, plot_per_horizon
    from seqcast.report import write_report

    best = list(board.leaderboard["model"][:top])
    per_horizon = board.per_horizon("smape")
    plot_per_horizon(per_horizon[best], folder / "per_horizon.png", "sMAPE %")
    by_model = {r.model: r for r in board.results}
    leader = by_model[best[0]]
    order = leader.per_series["smape"].sort_values(kind="mergesort").index
    picks = list(dict.fromkeys(order[int(q * (len(order) - 1))] for q in (0, 1 / 3, 2 / 3, 1)))
    examples = []
    for key in picks:
        series = board.data.loc[key, leader.target]
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
    reference = board.reference.metrics
    first = board.results[0]
    report = folder / "report.html"
    write_report(
        report,
        board.title,
        {
            "series": first.n_series,
            "steps ahead": first.horizon,
            "windows per series": first.windows,
            "season (MASE, Naive2)": first.season,
            "OWA's reference, Naive2": f"sMAPE {reference['smape']:.3f}, "
            f"MASE {reference['mase']:.3f}",
        },
        {
            "Leaderboard": board.leaderboard.set_index("rank"),
            f"sMAPE per step ahead, best {len(best)} models": folder / "per_horizon.png",
            "Four series, from the best model's most to its least accurate": folder / "series.png",
            "sMAPE per step ahead": per_horizon,
            **interval_sections(
                board.results, best[0], folder, lambda result, path: result.fan_chart(path)
            ),
        },
    )
    return report
