"""Reading a series before modelling it: ACF/PACF, stationarity, seasonality, ARIMA orders.

``analyze(y)`` runs statsmodels' ``acf``, ``pacf``, ``adfuller``, ``kpss`` and ``STL`` and
turns what they show into suggestions, each with the reason in words:

- season s: among the significant positive ACF peaks whose multiples (±1 lag) mostly peak
  too, the one with the largest ACF (on first differences when the levels are not
  stationary, so a trend does not hide the cycle);
- D: 1 when the seasonal strength (Hyndman's 1 - Var(remainder) / Var(season + remainder),
  from STL) is above 0.64, the threshold of R's ``forecast::nsdiffs``;
- d: differences (at most 2) until ADF rejects a unit root and KPSS does not reject
  stationarity, both at 5 %;
- p, q from the ACF and PACF of the differenced series: a function "cuts off" after lag k
  when k is its last significant lag up to 5 and no more later non-seasonal lags are
  significant than chance allows (1 + 10 % of them); otherwise it "tails off". PACF cut
  off after p with the ACF tailing off is AR(p); ACF cut off after q with the PACF tailing
  off is MA(q); both cutting off takes the shorter; both tailing off is ARMA(1, 1);
- P, Q from lags s, 2s, 3s in the same way (ACF significant at s only: Q = 1; PACF
  significant at s only: P = 1).

An ACF value is significant outside Bartlett's 95 % band (statsmodels' ``acf`` intervals,
which widen after large early correlations), a PACF value outside ±1.96/√n.

Only the last ``RECENT`` values are read (the tests' cost grows faster than the length, and
the recent past is what a forecast builds on); ``Analysis.left_out`` counts the others. A
series that differencing makes constant (a line, a repeated season) is deterministic: the
tests call a constant series stationary, and no ARMA terms are suggested.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqcast.errors import SeqcastError

MAX_ORDER = 5
MIN_VALUES = 10  # fewer leave the tests and two differences nothing to work on
RECENT = 10_000  # the last this many values are analysed
SEASONAL_STRENGTH_THRESHOLD = 0.64


@dataclass
class Analysis:
    """What ``analyze`` found; ``to_dict`` is the content of ``analysis.json``."""

    n: int
    lags: int
    band: float
    acf: list[float]
    pacf: list[float]
    acf_confint: list[list[float]]
    pacf_confint: list[list[float]]
    acf_peaks: list[int]
    season: int | None
    seasonal_strength: float | None
    adf: dict[str, Any]
    kpss: dict[str, Any]
    d: int
    D: int
    differenced_acf: list[float]
    differenced_pacf: list[float]
    suggestion: dict[str, Any] = field(default_factory=dict)
    left_out: int = 0  # earlier values not analysed (only the last RECENT are)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, folder: str | Path, title: str = "", **facts: Any) -> Path:
        """Write a new ``folder``: analysis.json (``facts`` first, then ``to_dict``) and
        acf_pacf.png."""
        from seqcast.results import json_ready, results_dir, write_json

        folder = Path(folder)
        with results_dir(folder) as tmp:
            write_json(tmp / "analysis.json", json_ready({**facts, **self.to_dict()}))
            self.plot(tmp / "acf_pacf.png", title)
        return folder

    def plot(self, path: Path, title: str = "") -> None:
        """ACF and PACF with the 95 % band and the season's multiples, as a PNG at ``path``."""
        from seqcast.plots import plot_acf_pacf

        plot_acf_pacf(self.acf, self.pacf, self.band, path, self.season, title)


def analyze(
    y: np.ndarray, lags: int | None = None, season: int | None = None, recent: int = RECENT
) -> Analysis:
    """ACF/PACF with bands, stationarity tests and order suggestions for the last ``recent``
    values of a 1-D series.

    ``lags`` defaults to min(10·log10(n), n/2 - 1) (at least 2·season when one is given);
    ``season`` is detected from the ACF when omitted.
    """
    from statsmodels.tsa.stattools import acf, pacf

    values = np.asarray(y, dtype=float)
    if values.ndim != 1:
        raise SeqcastError(f"analyze takes one series, got shape {values.shape}")
    if np.isnan(values).any():
        raise SeqcastError("the series has missing values; fill them first")
    if len(values) < MIN_VALUES:
        raise SeqcastError(
            f"the series is too short to analyse: {len(values)} values, at least {MIN_VALUES}"
        )
    left_out = max(0, len(values) - max(recent, MIN_VALUES))
    values = values[left_out:]
    n = len(values)
    if lags is None:
        lags = int(min(10 * np.log10(n), n // 2 - 1))
        if season:
            lags = max(lags, 2 * season)
    if not 1 <= lags < n // 2:
        why = f" (twice the season {season})" if season and lags == 2 * season else ""
        raise SeqcastError(
            f"lags must lie between 1 and {n // 2 - 1} for {n} values, got {lags}{why}"
        )
    if _constant(values, values):
        raise SeqcastError("the series is constant; there is nothing to analyse")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r, r_ci = acf(values, nlags=lags, alpha=0.05, fft=True)
        phi, phi_ci = pacf(values, nlags=lags, alpha=0.05)
    band = 1.96 / np.sqrt(n)
    levels_stationary = _adf(values)["stationary"] and _kpss(values)["stationary"]
    if levels_stationary:
        peaks = _peaks(r, band)
    elif _constant(np.diff(values), values):
        peaks = []  # a line: no cycle to find
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peaks = _peaks(acf(np.diff(values), nlags=lags, fft=True), band)
    if season is None:
        season = _season_from_peaks(peaks, r if levels_stationary else None, lags)
    strength = _seasonal_strength(values, season) if season else None
    big_d = int(strength is not None and strength > SEASONAL_STRENGTH_THRESHOLD)
    stationary = _seasonal_difference(values, season, big_d)
    d, adf_result, kpss_result = _nonseasonal_differences(stationary, values)
    for _ in range(d):
        stationary = np.diff(stationary)

    if _constant(stationary, values):
        r_diff = phi_diff = np.zeros(0)
        suggestion = _deterministic(season, d, big_d)
    else:
        r_diff, phi_diff, suggestion = _read_differenced(stationary, lags, season, d, big_d)
    return Analysis(
        n=n,
        lags=lags,
        band=float(band),
        acf=r.tolist(),
        pacf=phi.tolist(),
        acf_confint=r_ci.tolist(),
        pacf_confint=phi_ci.tolist(),
        acf_peaks=peaks,
        season=season,
        seasonal_strength=strength,
        adf=adf_result,
        kpss=kpss_result,
        d=d,
        D=big_d,
        differenced_acf=r_diff.tolist(),
        differenced_pacf=phi_diff.tolist(),
        suggestion=suggestion,
        left_out=left_out,
    )


def _read_differenced(
    stationary: np.ndarray, lags: int, season: int | None, d: int, big_d: int
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The ACF and PACF of the differenced series (up to ``lags``) and the orders they
    suggest."""
    from statsmodels.tsa.stattools import acf, pacf

    diff_lags = min(lags, len(stationary) // 2 - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r, r_ci = acf(stationary, nlags=diff_lags, alpha=0.05, fft=True)
        phi = pacf(stationary, nlags=diff_lags)
    acf_width = (r_ci[:, 1] - r_ci[:, 0]) / 2  # Bartlett's 95 % half-width per lag
    pacf_width = np.full(len(phi), 1.96 / np.sqrt(len(stationary)))
    return r, phi, suggest_orders(r, phi, acf_width, pacf_width, season, d, big_d)


def _deterministic(season: int | None, d: int, big_d: int) -> dict[str, Any]:
    """The suggestion for a series that ``d`` differences (and ``big_d`` seasonal ones) make
    constant: nothing is left for AR or MA terms to explain."""
    return {
        "order": [0, d, 0],
        "seasonal_order": [0, big_d, 0, season or 0],
        "pattern": "the differenced series is constant: the series is deterministic, no ARMA terms",
        "seasonal_pattern": "no seasonal terms",
        "acf_cutoff": None,
        "pacf_cutoff": None,
    }


def _constant(values: np.ndarray, series: np.ndarray) -> bool:
    """Whether ``values`` (the ``series`` or its differences) vary by no more than rounding
    error at the series' scale."""
    return bool(np.ptp(values) <= 1e-9 * max(1.0, float(np.max(np.abs(series)))))


def suggest_orders(
    r: np.ndarray,
    phi: np.ndarray,
    acf_width: np.ndarray,
    pacf_width: np.ndarray,
    season: int | None,
    d: int = 0,
    big_d: int = 0,
) -> dict[str, Any]:
    """(p, q)(P, Q) from the ACF ``r`` and PACF ``phi`` (index = lag) of a stationary series,
    each value significant when it lies outside its 95 % half-width."""
    limit = len(r) - 1
    seasonal = {k for k in range(1, limit + 1) if season and k % season == 0}
    acf_cut = _cutoff(np.abs(r) > acf_width, limit, seasonal)
    pacf_cut = _cutoff(np.abs(phi) > pacf_width, limit, seasonal)
    if acf_cut == 0 and pacf_cut == 0:
        p, q, pattern = 0, 0, "neither ACF nor PACF has significant early lags: white noise"
    elif pacf_cut is not None and (acf_cut is None or pacf_cut <= acf_cut):
        p, q = pacf_cut, 0
        tail = "tails off" if acf_cut is None else f"cuts off later (after {acf_cut})"
        pattern = f"PACF cuts off after lag {p}, ACF {tail}: AR({p})"
    elif acf_cut is not None:
        p, q = 0, acf_cut
        tail = "tails off" if pacf_cut is None else f"cuts off later (after {pacf_cut})"
        pattern = f"ACF cuts off after lag {q}, PACF {tail}: MA({q})"
    else:
        p, q, pattern = 1, 1, "both ACF and PACF tail off: ARMA(1, 1)"
    big_p = big_q = 0
    seasonal_pattern = "no seasonal terms"
    if season and season <= limit:
        multiples = [k for k in (season, 2 * season, 3 * season) if k <= limit]
        acf_at = [abs(r[k]) > acf_width[k] for k in multiples]
        pacf_at = [abs(phi[k]) > pacf_width[k] for k in multiples]
        if acf_at[0] and not any(acf_at[1:]):
            big_q, seasonal_pattern = 1, f"ACF significant at lag {season} only: seasonal MA(1)"
        elif pacf_at[0] and not any(pacf_at[1:]):
            big_p, seasonal_pattern = 1, f"PACF significant at lag {season} only: seasonal AR(1)"
        elif acf_at[0] or pacf_at[0]:
            big_p = big_q = 1
            seasonal_pattern = f"peaks at multiples of {season} in both: seasonal ARMA(1, 1)"
    return {
        "order": [p, d, q],
        "seasonal_order": [big_p, big_d, big_q, season or 0],
        "pattern": pattern,
        "seasonal_pattern": seasonal_pattern,
        "acf_cutoff": acf_cut,
        "pacf_cutoff": pacf_cut,
    }


def _cutoff(significant: np.ndarray, limit: int, seasonal: set[int]) -> int | None:
    """The lag after which a correlation function cuts off, or None when it tails off.

    ``significant[k]`` says whether lag k lies outside its band.
    """
    lags = [k for k in range(1, limit + 1) if k not in seasonal and significant[k]]
    late_range = [k for k in range(MAX_ORDER + 1, limit + 1) if k not in seasonal]
    late = [k for k in lags if k > MAX_ORDER]
    if len(late) > 1 + 0.1 * len(late_range):
        return None
    return max((k for k in lags if k <= MAX_ORDER), default=0)


def _peaks(r: np.ndarray, band: float) -> list[int]:
    """Lags >= 2 where the ACF is a significant positive local maximum (the last lag counts
    when it rises)."""
    last = len(r) - 1
    return [
        k
        for k in range(2, last + 1)
        if r[k] > band and r[k] > r[k - 1] and (k == last or r[k] >= r[k + 1])
    ]


def _season_from_peaks(peaks: list[int], r: np.ndarray | None, lags: int) -> int | None:
    """Among peaks whose multiples (within ``lags``, ±1 lag) mostly peak too, the one with the
    largest ACF ``r`` (the smallest when ``r`` is None); a lone peak with no multiple in
    range stands only when nothing else does."""
    found = set(peaks)
    repeated, lone = [], []
    for lag in peaks:
        multiples = list(range(2 * lag, lags + 1, lag))
        hits = sum(any(m + e in found for e in (-1, 0, 1)) for m in multiples)
        if not multiples:
            lone.append(lag)
        elif hits >= len(multiples) / 2:
            repeated.append(lag)
    candidates = repeated or lone
    if not candidates:
        return None
    if r is None:
        return candidates[0]
    return max(candidates, key=lambda lag: (r[lag], -lag))


def _seasonal_strength(values: np.ndarray, season: int) -> float | None:
    from statsmodels.tsa.seasonal import STL

    if len(values) < 2 * season + 1:
        return None
    parts = STL(values, period=season, robust=True).fit()
    remainder = np.var(parts.resid)
    return float(max(0.0, 1 - remainder / np.var(parts.seasonal + parts.resid)))


def _seasonal_difference(values: np.ndarray, season: int | None, big_d: int) -> np.ndarray:
    if big_d and season:
        return values[season:] - values[:-season]
    return values


def _nonseasonal_differences(
    values: np.ndarray, series: np.ndarray
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """How many first differences make ``values`` (``series``, perhaps seasonally differenced)
    stationary (0..2), and both tests' results on ``values`` as given. A constant is
    stationary."""
    first_adf = first_kpss = None
    current = values
    for d in range(3):
        if _constant(current, series):
            adf = kpss = {"stationary": True, "null": "not tested: the values are constant"}
        else:
            adf, kpss = _adf(current), _kpss(current)
        if first_adf is None:
            first_adf, first_kpss = adf, kpss
        if (adf["stationary"] and kpss["stationary"]) or d == 2:
            break
        current = np.diff(current)
    assert first_adf is not None and first_kpss is not None
    return d, first_adf, first_kpss


def _adf(values: np.ndarray) -> dict[str, Any]:
    from statsmodels.tsa.stattools import adfuller

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        statistic, pvalue, used_lag, _, critical, _ = adfuller(values, autolag="AIC")
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "lags_used": int(used_lag),
        "critical_values": {k: float(v) for k, v in critical.items()},
        "stationary": bool(pvalue < 0.05),
        "null": "a unit root (not stationary)",
    }


def _kpss(values: np.ndarray) -> dict[str, Any]:
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # p-values outside the table are clipped, and it says so
        statistic, pvalue, lags_used, critical = kpss(values, regression="c", nlags="auto")
    return {
        "statistic": float(statistic),
        "pvalue": float(pvalue),
        "lags_used": int(lags_used),
        "critical_values": {k: float(v) for k, v in critical.items()},
        "stationary": bool(pvalue >= 0.05),
        "null": "stationary around a constant",
    }
