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
        names = [remote.filename for remote in info.files]
        if not names:
            where = "built in"
        elif folder and all((Path(folder) / name).is_file() for name in names):
            where = f"in {folder}"
        elif all((cache_dir() / name).is_file() for name in names):
            where = "cached"
        else:
            where = "download on first use"
        table.add_row(
            info.name + (" (panel)" if info.panel else ""),
            info.freq,
            f"{info.n_rows:,}" if info.n_rows else "",
            ", ".join(info.columns),
            str(info.season),
            where,
            info.source,
        )
    out.print(table)
