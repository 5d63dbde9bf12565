"""How a neural forecaster turns data into input channels, learned from its training data.

Symbols: T rows of a series, C channels, K targets, N series.

Channels, in this order (``Channels.features``):

1. the numeric columns, targets first, then covariates, scaled per column (``scaling``);
2. for each known-ahead column, a one-hot of the *next* step's value (so a forecast from
   step t knows step t+1's calendar);
3. the static columns (numeric, constant within a series), standardised across series;
4. with a ``phase_period`` m, each row's phase in a season of m steps of the calendar
   (``seqcast.data.calendar``: 0..m-1, the hour of the day for hourly data and m = 24);
5. on a panel with short series (``masked``), the mask: 1 on an observed row, 0 on a row
   of padding (``seqcast.models.padding``);
6. on a panel with a series embedding, the series' number (``series_ids`` order), which
   the network turns into a learned vector.

Scaling is ``standard``, ``minmax``, ``none`` or ``positive``: values left as they are
when every one is above 0 (a multiplicative model needs them so), else shifted so that
the least becomes one standard deviation and divided by it. Before it, the first
``logged`` numeric columns (the targets, with ``scaling=log``) may enter as their natural
logs: the network then learns and forecasts logs, and ``from_logs`` turns its forecasts
(points, sample paths, quantiles alike, since exp keeps their order) back into values.
With a ``log_offset`` share s, each series enters as log(y + c), c = s x the mean of its
training values (``offsets``, one per series and logged column; a series first seen in a
forecast gets s x the mean of the values it comes with), and comes back as exp(.) - c:
a shift that damps the logs' swings where a series dips near 0, and admits zeros.

Only the first group is normalised per window; the rest pass unchanged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from seqcast.data.calendar import calendar_steps
from seqcast.data.io import require_numeric
from seqcast.data.panel import (
    is_panel,
    iter_series,
    require_numeric_panel,
    series_ids,
    series_lengths,
)
from seqcast.errors import SeqcastError


@dataclass
class Channels:
    """What the channels of a fitted forecaster are made of (see the module docstring)."""

    numeric: list[str]
    shift: np.ndarray  # (len(numeric),)
    scale: np.ndarray
    categories: dict[str, list[str]]
    static: list[str]
    static_shift: np.ndarray  # (len(static),)
    static_scale: np.ndarray
    series_ids: list[Any] | None  # with a series-number channel: the ids, in number order
    masked: bool = False  # a mask channel: the model pads short series
    phase_period: int = 0  # m: a channel of each row's calendar phase in m steps (0: none)
    freq: str | None = None  # the frequency the phase counts in
    logged: int = 0  # the first numeric columns that enter as their logs
    log_offset: float = 0.0  # s: each series' logs are of y + s x its training mean
    offset_ids: list[Any] = field(default_factory=list)  # series with a learned c, in order
    offsets: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (N, logged) c

    @classmethod
    def learn(
        cls,
        data: pd.DataFrame,
        numeric: list[str],
        known_ahead: tuple[str, ...],
        static: tuple[str, ...],
        scaling: str,
        numbered: bool,
        masked: bool = False,
        phase_period: int = 0,
        logged: int = 0,
        log_offset: float = 0.0,
    ) -> Channels:
        """Channels fitted on ``data`` (a series or a panel); ``numbered`` adds the series
        number (panels only), ``masked`` the mask of padded rows, ``phase_period`` the
        calendar phase, ``logged`` the first numeric columns that enter as logs (of each
        series' y + ``log_offset`` x its mean)."""
        panel = is_panel(data)
        (require_numeric_panel if panel else require_numeric)(data, [*numeric, *static])
        missing = [c for c in known_ahead if c not in data.columns]
        if missing:
            raise SeqcastError(f"no known-ahead column {missing[0]!r} in the data")
        offsets = log_offsets(data, numeric[:logged], log_offset)
        refuse_non_positive(data, numeric[:logged], LOG_NEEDS, offsets=offsets)
        values = data[numeric].to_numpy(dtype=float, copy=True)
        if offsets:
            lifts = np.array(list(offsets.values()))  # (N, logged), the panel's order
            values[:, :logged] += np.repeat(lifts, _lengths(data), axis=0)
        values = _with_logs(values, logged)
        shift, scale = _scaler(values, scaling)
        per_series = _static_values(data, list(static))  # (N, S)
        spread = per_series.std(axis=0)
        return cls(
            numeric=numeric,
            shift=shift,
            scale=scale,
            categories={c: sorted(map(str, data[c].unique())) for c in known_ahead},
            static=list(static),
            static_shift=per_series.mean(axis=0),
            static_scale=np.where(spread > 0, spread, 1.0),
            series_ids=series_ids(data) if panel and numbered else None,
            masked=masked,
            phase_period=phase_period,
            freq=_freq(data) if phase_period else None,
            logged=logged,
            log_offset=log_offset if offsets else 0.0,
            offset_ids=list(offsets),
            offsets=np.array(list(offsets.values())).reshape(len(offsets), logged),
        )

    @property
    def width(self) -> int:
        """C, the channels ``features`` gives each row."""
        one_hots = sum(len(categories) for categories in self.categories.values())
        numbered = self.series_ids is not None
        extra = int(self.phase_period > 0) + int(self.masked) + int(numbered)
        return len(self.numeric) + one_hots + len(self.static) + extra

    @property
    def mask_column(self) -> int | None:
        """The mask's channel (before the series number, which an embedding reads last)."""
        return self.width - 1 - int(self.series_ids is not None) if self.masked else None

    @property
    def phase_column(self) -> int | None:
        """The calendar phase's channel (before the mask and the series number)."""
        if not self.phase_period:
            return None
        return self.width - 1 - int(self.masked) - int(self.series_ids is not None)

    @property
    def phase(self) -> tuple[int, int] | None:
        """(the phase's channel, its period m), or None without a phase channel."""
        column = self.phase_column
        return None if column is None else (column, self.phase_period)

    @functools.cached_property
    def series_numbers(self) -> dict[Any, int]:
        """Each series id's number (its position in ``series_ids``)."""
        return {key: number for number, key in enumerate(self.series_ids or [])}

    @functools.cached_property
    def offset_numbers(self) -> dict[Any, int]:
        """Each series id's row in ``offsets``."""
        return {key: number for number, key in enumerate(self.offset_ids)}

    def offset_of(self, data: pd.DataFrame, key: Any = None) -> np.ndarray:
        """(logged,) c of series ``key`` (None: the one series): learned in training, else
        ``log_offset`` x the mean of ``data``'s values; zeros without a ``log_offset``."""
        if not self.log_offset:
            return np.zeros(self.logged)
        if key in self.offset_numbers:
            return np.asarray(self.offsets[self.offset_numbers[key]], dtype=float)
        return log_offsets(data, self.numeric[: self.logged], self.log_offset, key)[key]

    @property
    def normalised(self) -> int:
        """How many channels (the first ones) per-window normalisation applies to."""
        return len(self.numeric)

    def features(self, data: pd.DataFrame, key: Any = None) -> np.ndarray:
        """(T, C) channels of one series (``key``: its id in a panel)."""
        require_numeric(data, self.numeric)
        offset = self.offset_of(data, key)
        refuse_non_positive(data, self.numeric[: self.logged], LOG_NEEDS, key, {key: offset})
        numbers = data[self.numeric].to_numpy(dtype=float, copy=True)
        numbers[:, : self.logged] += offset
        numeric = (_with_logs(numbers, self.logged) - self.shift) / self.scale
        blocks = [numeric]
        for column, categories in self.categories.items():
            values = data[column].astype(str).to_numpy()
            unknown = sorted(set(values) - set(categories) - {"nan", "<NA>", "None"})
            if unknown:
                raise SeqcastError(
                    f"{column!r} has values unseen in training: {', '.join(unknown[:5])}"
                )
            nxt = np.append(values[1:], "")  # step t carries step t+1's value
            blocks.append((nxt[:, None] == np.array(categories)[None, :]).astype(float))
        if self.static:
            values = _static_values(data, self.static)  # (1, S): one series
            scaled = (values - self.static_shift) / self.static_scale
            blocks.append(np.repeat(scaled, len(data), axis=0))
        if self.phase_period:
            steps = calendar_steps(pd.DatetimeIndex(data.index), to_offset(str(self.freq)))
            blocks.append((steps % self.phase_period)[:, None].astype(float))
        if self.masked:
            blocks.append(np.ones((len(data), 1)))  # observed
        if self.series_ids is not None:
            if key not in self.series_numbers:
                raise SeqcastError(
                    f"series {key!r} was not in the panel the model was fitted on; its "
                    "series embedding is unknown (fit with id_embedding=0 to forecast new "
                    "series)"
                )
            blocks.append(np.full((len(data), 1), float(self.series_numbers[key])))
        return np.concatenate(blocks, axis=1)

    def from_logs(
        self, values: np.ndarray, axis: int = -1, offsets: np.ndarray | None = None
    ) -> np.ndarray:
        """``values`` (O, ...) of the targets along ``axis`` (K entries), the logged ones as
        values: their exp, less ``offsets`` (O, logged), each row's series' c; the others
        as they are."""
        if not self.logged:
            return values
        moved = np.moveaxis(np.array(values, dtype=float), axis, -1)
        moved[..., : self.logged] = np.exp(moved[..., : self.logged])
        if offsets is not None:
            shape = (len(moved),) + (1,) * (moved.ndim - 2) + (self.logged,)
            moved[..., : self.logged] -= np.reshape(offsets, shape)
        return np.moveaxis(moved, -1, axis)

    def to_logs(self, values: np.ndarray) -> np.ndarray:
        """(..., K) target values, the logged ones as their logs (``from_logs`` without
        offsets undone)."""
        return _with_logs(values, self.logged)

    def panel_features(self, panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(R, C) channels of every series one after another, and (N,) their lengths."""
        blocks = [self.features(frame, key) for key, frame in iter_series(panel)]
        return np.concatenate(blocks), np.array([len(b) for b in blocks])

    def to_dict(self) -> dict[str, Any]:
        """Checkpoint-safe plain data."""
        import torch

        return {
            "numeric": list(self.numeric),
            "shift": torch.as_tensor(self.shift),
            "scale": torch.as_tensor(self.scale),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "static": list(self.static),
            "static_shift": torch.as_tensor(self.static_shift),
            "static_scale": torch.as_tensor(self.static_scale),
            "series_ids": self.series_ids,
            "masked": self.masked,
            "phase_period": self.phase_period,
            "freq": self.freq,
            "logged": self.logged,
            "log_offset": self.log_offset,
            "offset_ids": list(self.offset_ids),
            "offsets": torch.as_tensor(self.offsets),
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Channels:
        return cls(
            numeric=list(record["numeric"]),
            shift=record["shift"].numpy(),
            scale=record["scale"].numpy(),
            categories={k: list(v) for k, v in record["categories"].items()},
            static=list(record.get("static", [])),
            static_shift=_array(record.get("static_shift")),
            static_scale=_array(record.get("static_scale")),
            series_ids=record.get("series_ids"),
            masked=bool(record.get("masked", False)),
            phase_period=int(record.get("phase_period", 0)),
            freq=record.get("freq"),
            logged=int(record.get("logged", 0)),
            log_offset=float(record.get("log_offset", 0.0)),
            offset_ids=list(record.get("offset_ids", [])),
            offsets=record["offsets"].numpy() if "offsets" in record else np.zeros((0, 0)),
        )


LOG_NEEDS = (
    "the model takes its targets' logs (scaling log), which need values above 0 "
    "(use scaling standard or log_or_standard)"
)


def refuse_non_positive(
    data: pd.DataFrame,
    columns: list[str],
    needs: str,
    key: Any = None,
    offsets: dict[Any, np.ndarray] | None = None,
) -> None:
    """Raise naming the series (``key``, or each of a panel's), the column and the date of
    the first value of ``columns`` at or below 0, or with ``offsets`` (each series' c per
    column) at or below -c; ``needs`` says why they must be above."""
    if not columns:
        return
    ids = series_ids(data) if is_panel(data) else [key]
    lengths = _lengths(data)
    none = np.zeros(len(columns))
    lift = np.array([(offsets or {}).get(series, none) for series in ids]).reshape(len(ids), -1)
    values = data[columns].to_numpy(dtype=float)
    low = values + np.repeat(lift, lengths, axis=0) <= 0  # (R, K); NaN rows pass
    rows = np.flatnonzero(low.any(axis=1))
    if not len(rows):
        return
    which = int(np.searchsorted(np.cumsum(lengths), rows[0], side="right"))  # its series
    start = int(lengths[:which].sum())
    own = low[start : start + lengths[which]]
    j = int(np.argmax(own.any(axis=0)))  # the first column low in that series
    row = start + int(np.argmax(own[:, j]))
    series, c = ids[which], lift[which, j]
    when = data.index[row][1] if is_panel(data) else data.index[row]
    where = f"series {series!r}, " if series is not None else ""
    shifted = f" (at or below -{c:g}, log_offset's shift)" if c else ""
    raise SeqcastError(
        f"{where}column {columns[j]!r} is {values[row, j]:g}{shifted} on {when}; {needs}"
    )


def loggable(data: pd.DataFrame, columns: list[str], share: float) -> bool:
    """Whether every value of ``columns`` is above 0, or with a ``share`` above -c (each
    series' c: ``share`` x its mean, which must be above 0)."""
    values = data[columns].to_numpy(dtype=float)
    if not share:
        return bool((values > 0).all())
    means = np.repeat(_series_means(data, values), _lengths(data), axis=0)  # each row's
    return bool((means > 0).all() and (values + share * means > 0).all())


def log_offsets(
    data: pd.DataFrame, columns: list[str], share: float, key: Any = None
) -> dict[Any, np.ndarray]:
    """Each series' c per column of ``columns``: ``share`` x the mean of its values
    (``data``: a panel, or the one series ``key``); empty with no share or no columns. A
    mean at or below 0 is refused, naming the series and the column."""
    if not share or not columns:
        return {}
    means = _series_means(data, data[columns].to_numpy(dtype=float))  # future rows: NaN
    ids = series_ids(data) if is_panel(data) else [key]
    bad = np.flatnonzero(~(means > 0).all(axis=1))
    if len(bad):
        series, row = ids[bad[0]], means[bad[0]]
        column = columns[int(np.argmin(row > 0))]
        where = f"series {series!r}, " if series is not None else ""
        raise SeqcastError(
            f"{where}column {column!r} has a mean of {row.min():g}; log_offset shifts "
            "each series by a share of its mean, which must be above 0"
        )
    return dict(zip(ids, share * means, strict=True))


def _lengths(data: pd.DataFrame) -> np.ndarray:
    """(N,) rows of each series of a panel, in its order; one series: its length."""
    return series_lengths(data) if is_panel(data) else np.array([len(data)])


def _series_means(data: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """(N, K) each series' mean of ``values`` (R, K), ``data``'s rows, NaNs skipped."""
    lengths = _lengths(data)
    groups = np.repeat(np.arange(len(lengths)), lengths)
    return pd.DataFrame(values).groupby(groups).mean().to_numpy()


def _with_logs(values: np.ndarray, logged: int) -> np.ndarray:
    """(..., N) ``values`` with their first ``logged`` columns (last axis) as logs, in a new
    float array; ``values`` themselves when none are logged."""
    if not logged:
        return values
    out = np.array(values, dtype=float)
    out[..., :logged] = np.log(out[..., :logged])
    return out


def _static_values(data: pd.DataFrame, static: list[str]) -> np.ndarray:
    """(N, S) each series' static values; a static column that changes within a series is
    an error naming it."""
    frames = [frame for _, frame in iter_series(data)] if is_panel(data) else [data]
    rows = []
    for frame in frames:
        values = frame[static].to_numpy(dtype=float)
        changing = [c for i, c in enumerate(static) if len(values) and np.ptp(values[:, i]) > 0]
        if changing:
            where = frame.attrs.get("source", "a series")
            raise SeqcastError(f"static column {changing[0]!r} changes within {where}")
        rows.append(values[0] if len(values) else np.zeros(len(static)))
    return np.array(rows, dtype=float).reshape(len(frames), len(static))


def _scaler(values: np.ndarray, scaling: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column shift and scale fitted on the training values."""
    from seqcast.data.transforms import MinMaxScaler, StandardScaler

    if scaling == "none":
        return np.zeros(values.shape[1]), np.ones(values.shape[1])
    if scaling == "positive":
        low, spread = np.nanmin(values, axis=0), np.nanstd(values, axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        above = low > 0
        return np.where(above, 0.0, low - spread), np.where(above, 1.0, spread)
    fitted = (StandardScaler() if scaling == "standard" else MinMaxScaler()).fit(values)
    return fitted.shift_, fitted.scale_


def _array(value: Any) -> np.ndarray:
    return np.zeros(0) if value is None else value.numpy()


def _freq(data: pd.DataFrame) -> str:
    """The frequency of a series' or a panel's dates."""
    from seqcast.data.panel import panel_freq

    if is_panel(data):
        return panel_freq(data).freqstr
    freq = getattr(data.index, "freq", None)
    if freq is None:
        raise SeqcastError("a calendar phase needs dates of a regular frequency")
    return str(freq.freqstr)
