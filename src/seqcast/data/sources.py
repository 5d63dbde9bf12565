"""Where a series comes from: a built-in dataset, or a CSV/Parquet file of one's own.

A ``DataSource`` loads the data (``load``), names it in titles and folders (``name``), knows
the built-in dataset's defaults (``info``), and travels as plain data (``to_dict``), so a
checkpoint can say what its model was trained on and ``seqcast forecast`` can reload the
latest values. What loading changed (gaps filled, duplicates dropped) goes to the
``seqcast`` logger at INFO level, one line a note, besides ``frame.attrs["notes"]``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.data.datasets import DatasetInfo, dataset_info, load_dataset
from seqcast.data.io import FILL_METHODS, Fill, load_frame
from seqcast.data.panel import load_panel
from seqcast.errors import SeqcastError

logger = logging.getLogger("seqcast")


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What a benchmark (or backtest) on a source does: the ``targets`` forecast (one on a
    panel: ``target``), ``horizon`` steps ahead, the ``season`` (MASE's m, and the models'
    season); on one series the range of first forecast steps ``start``..``end`` and the
    first date fitted, ``train_start``; on a panel the ``windows`` of H steps held out at
    the end of every series."""

    targets: list[str]
    horizon: int
    season: int
    start: str | None = None
    end: str | None = None
    train_start: str | None = None
    windows: int = 1

    @property
    def target(self) -> str:
        """The first (on a panel, the only) target."""
        return self.targets[0]


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Exactly one of ``dataset`` (a built-in name) or ``csv`` (a file path, with its
    ``date_column`` and optionally ``freq``, ``fill``, ``dayfirst`` and ``timezone``; with
    an ``id_column`` the file is a long table of many series, a panel). ``data_dir`` is
    where dataset files are looked for first (default ``$SEQCAST_DATA_DIR``)."""

    dataset: str | None = None
    csv: str | None = None
    date_column: str | None = None
    freq: str | None = None
    fill: Fill | None = None
    data_dir: str | None = None
    id_column: str | None = None
    dayfirst: bool | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        if (self.dataset is None) == (self.csv is None):
            raise SeqcastError("give exactly one of --dataset NAME or --csv PATH")
        if self.csv is not None and self.date_column is None:
            raise SeqcastError("--csv needs --date-column (the column holding the timestamps)")
        if self.fill is not None and self.fill not in FILL_METHODS:
            raise SeqcastError(
                f"unknown --fill {self.fill!r}; choose one of {', '.join(FILL_METHODS)}"
            )
        if self.dataset is not None:
            dataset_info(self.dataset)  # an unknown name fails here, listing the datasets
            if self.id_column is not None:
                raise SeqcastError("--id-column goes with --csv (a dataset knows its series)")
            if self.dayfirst is not None or self.timezone is not None:
                raise SeqcastError(
                    "--dayfirst, --monthfirst and --timezone go with --csv (a dataset knows "
                    "its dates)"
                )

    @classmethod
    def of(cls, source: str | DataSource) -> DataSource:
        """``source`` itself, or the built-in dataset it names."""
        return source if isinstance(source, DataSource) else cls(dataset=source)

    @property
    def name(self) -> str:
        """The dataset's name or the file's stem, for titles and folder names."""
        return self.dataset if self.dataset is not None else Path(str(self.csv)).stem

    @property
    def is_panel(self) -> bool:
        """Many series: a panel dataset (M4) or a file with an ``id_column``."""
        info = self.info
        return self.id_column is not None or (info is not None and info.panel)

    @property
    def info(self) -> DatasetInfo | None:
        """The built-in dataset's description and defaults; None for a file."""
        return dataset_info(self.dataset) if self.dataset is not None else None

    def settings(
        self,
        *,
        target: str | Sequence[str] | None = None,
        horizon: int | None = None,
        season: int | None = None,
        windows: int | None = None,
        start: str | None = None,
        end: str | None = None,
        train_start: str | None = None,
    ) -> RunSettings:
        """What a run on this source does: what is given, else the built-in dataset's
        defaults (``seqcast datasets``). A file needs ``target``, and ``start`` and ``end``
        (one series) or ``horizon`` (a panel, which forecasts one target); its season,
        windows and one series' horizon default to 1."""
        info = self.info
        defaults = info.benchmark if info is not None else None
        chosen = target or (defaults.target if defaults else None)
        targets = [chosen] if isinstance(chosen, str) else list(chosen or [])
        run = RunSettings(
            targets=targets,
            horizon=horizon or (defaults.horizon if defaults else 0),
            season=season or (info.season if info else 1),
            start=start or (defaults.start if defaults else None),
            end=end or (defaults.end if defaults else None),
            train_start=train_start or (defaults.train_start if defaults else None),
            windows=windows or (defaults.windows if defaults else 1),
        )
        if self.is_panel:
            if not targets or not run.horizon:
                raise SeqcastError("with a panel file, give --target and --horizon")
            if len(targets) != 1:
                raise SeqcastError("a panel forecasts one target column")
            return run
        if not targets or run.start is None or run.end is None:
            raise SeqcastError("with --csv, give --target, --start and --end")
        return dataclasses.replace(run, horizon=run.horizon or 1)

    def load(self) -> pd.DataFrame:
        """The data as a regular time-indexed DataFrame (``seqcast.data.io``)."""
        if self.dataset is not None:
            frame = load_dataset(self.dataset, self.data_dir)
        elif self.id_column is not None:
            assert self.csv is not None and self.date_column is not None
            frame = load_panel(
                self.csv,
                self.id_column,
                self.date_column,
                freq=self.freq,
                fill=self.fill,
                dayfirst=self.dayfirst,
                timezone=self.timezone,
            )
        else:
            assert self.csv is not None and self.date_column is not None
            frame = load_frame(
                self.csv,
                self.date_column,
                freq=self.freq,
                fill=self.fill,
                dayfirst=self.dayfirst,
                timezone=self.timezone,
            )
        for note in frame.attrs.get("notes", []):
            logger.info(note)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain data (a file's path made absolute), the inverse of ``from_dict``."""
        record = dataclasses.asdict(self)
        if self.csv is not None:
            record["csv"] = str(Path(self.csv).resolve())
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> DataSource:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})
