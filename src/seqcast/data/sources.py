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
from pathlib import Path
from typing import Any

import pandas as pd

from seqcast.data.datasets import DatasetInfo, dataset_info, load_dataset
from seqcast.data.io import FILL_METHODS, Fill, load_frame
from seqcast.data.panel import load_panel
from seqcast.errors import SeqcastError

logger = logging.getLogger("seqcast")


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Exactly one of ``dataset`` (a built-in name) or ``csv`` (a file path, with its
    ``date_column`` and optionally ``freq`` and ``fill``; with an ``id_column`` the file
    is a long table of many series, a panel). ``data_dir`` is where dataset files are
    looked for first (default ``$SEQCAST_DATA_DIR``)."""

    dataset: str | None = None
    csv: str | None = None
    date_column: str | None = None
    freq: str | None = None
    fill: Fill | None = None
    data_dir: str | None = None
    id_column: str | None = None

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

    def load(self) -> pd.DataFrame:
        """The data as a regular time-indexed DataFrame (``seqcast.data.io``)."""
        if self.dataset is not None:
            frame = load_dataset(self.dataset, self.data_dir)
        elif self.id_column is not None:
            assert self.csv is not None and self.date_column is not None
            frame = load_panel(
                self.csv, self.id_column, self.date_column, freq=self.freq, fill=self.fill
            )
        else:
            assert self.csv is not None and self.date_column is not None
            frame = load_frame(self.csv, self.date_column, freq=self.freq, fill=self.fill)
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
