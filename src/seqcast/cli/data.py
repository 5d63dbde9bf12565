"""``seqcast datasets``: the built-in datasets and where each one is."""

from __future__ import annotations

import os
from pathlib import Path

from rich.table import Table

from seqcast.cli.app import app, out
from seqcast.cli.options import DataDirOpt
from seqcast.data.datasets import DATA_DIR_VARIABLE, cache_dir, list_datasets


@app.command()
def datasets(data_dir: DataDirOpt = None) -> None:
    """List the built-in datasets: name, frequency, length, columns, source."""
    folder = data_dir or os.environ.get(DATA_DIR_VARIABLE)
    table = Table(title="seqcast datasets")
    for column in ("name", "freq", "rows", "columns", "season", "available", "source"):
        table.add_column(column, overflow="fold")
    for info in list_datasets():
        if info.remote is None:
            where = "built in"
        elif folder and (Path(folder) / info.remote.filename).is_file():
            where = f"in {folder}"
        elif (cache_dir() / info.remote.filename).is_file():
            where = "cached"
        else:
            where = "download on first use"
        table.add_row(
            info.name,
            info.freq,
            f"{info.n_rows:,}",
            ", ".join(info.columns),
            str(info.season),
            where,
            info.source,
        )
    out.print(table)
