"""The typer application, its consoles and the entry point that turns errors into one line."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from seqcast.errors import SeqcastError
from seqcast.version import __version__

app = typer.Typer(
    help="Forecast time series with neural networks, measured against honest baselines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"seqcast {__version__}")
        raise typer.Exit()


def show(table: Table) -> None:
    """Print ``table`` whole: fitted to a terminal, and at its full width into a file or a
    pipe (where rich would otherwise cut every column to fit 80 characters)."""
    if out.is_terminal:
        out.print(table)
        return
    unlimited = out.options.update_width(1 << 16)
    width = max(out.width, Measurement.get(out, unlimited, table).maximum)
    Console(file=out.file, width=width).print(table)


class _Notes(logging.Handler):
    """What loading changed (the ``seqcast`` logger's INFO lines), dimmed on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"[dim]note: {escape(record.getMessage())}[/dim]")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seqcast`` console script."""
    logger = logging.getLogger("seqcast")
    notes, level = _Notes(logging.INFO), logger.level
    logger.addHandler(notes)
    logger.setLevel(logging.INFO)
    try:
        app(args=argv, prog_name="seqcast")
    except SeqcastError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    finally:
        logger.removeHandler(notes)
        logger.setLevel(level)
