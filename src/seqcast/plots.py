"""Pictures as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqcast.analysis import Analysis


def plot_acf_pacf(analysis: Analysis, path: Path, title: str = "") -> None:
    """ACF and PACF stems, lags 1..L, with the ±1.96/√n band shaded and seasonal lags marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
