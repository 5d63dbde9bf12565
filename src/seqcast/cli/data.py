"""``seqcast datasets``: the built-in datasets and where each one is."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from seqcast.cli.app import app, show
from seqcast.cli.options import DataDirOpt
from seqcast.data.datasets import DatasetInfo, cache_dir, find_local, list_datasets


@app.command()
def datasets(data_dir: DataDirOpt = None) -> None:
    """List the built-in datasets: name, frequency, length, columns, source."""
    table = Table(title="seqcast datasets")
    for column in ("name", "freq", "rows", "columns", "season", "available", "source"):
        table.add_column(column, overflow="fold")
    for info in list_datasets():
        table.add_row(
            info.name + (" (panel)" if info.panel else ""),
            info.freq,
            f"{info.n_rows:,}" if info.n_rows else "",
            ", ".join(info.columns),
            str(info.season),
            _where(info, data_dir),
            info.source,
        )
    show(table)


def _where(info: DatasetInfo, data_dir: Path | None) -> str:
    """Built in, in the data folder, cached, or to be downloaded on first use."""
    if not info.files:
        return "built in"
    folders = set()
    for remote in info.files:
        found = find_local(remote, data_dir)
        if found is None:
            return "download on first use"
        folders.add(found[0].parent)
    if folders == {cache_dir()}:
        return "cached"
    return "in " + ", ".join(sorted(str(folder) for folder in folders))
