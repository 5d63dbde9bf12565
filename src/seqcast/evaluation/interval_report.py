"""The report's interval sections, shared by one-series and panel benchmarks: a fan chart
of the best model and a calibration plot of every model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.models.intervals import level_name


def interval_sections(
    results: Sequence[Any], best: str, folder: Path, fan: Callable[[Any, Path], object]
) -> dict[str, Any]:
    """Draw ``fan(best's result, folder / "fan.png")`` and calibration.png (observed
    coverage per level, one line per model) and return their report sections, with the
    coverage table; none when the results have no intervals."""
    from seqcast.plots import plot_calibration

    levels = results[0].levels
    if not levels:
        return {}
    fan(next(r for r in results if r.model == best), folder / "fan.png")
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
