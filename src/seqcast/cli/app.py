"""The typer application, its consoles and the entry point that turns errors into one line."""

from __future__ import annotations

import logging
import signal
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from typer import rich_utils

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
WARNING_KINDS = 10  # at most this many kinds of warning are listed at the end
QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


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


def _bad_value(exc: Exception) -> bool:
    """Whether ``exc`` is click's refusal of an option's value (not a missing option)."""
    kinds = {kind.__name__ for kind in type(exc).__mro__}
    return "BadParameter" in kinds and "MissingParameter" not in kinds


@contextmanager
def _tallied_warnings() -> Iterator[None]:
    """The warnings a command gives, printed when it ends as one line per kind with how often
    it came (a refit backtest meets the same statsmodels warning at every origin)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every time, to count them
        for quiet in QUIET_WARNINGS:  # what Python leaves out by default stays out
            warnings.simplefilter("ignore", quiet)
        try:
            yield
        finally:
            tally = Counter(
                f"{w.category.__name__}: {(str(w.message).splitlines() or [''])[0]}" for w in caught
            )
            for kind, count in list(tally.items())[:WARNING_KINDS]:
                times = f" ({count:,} times)" if count > 1 else ""
                err.print(f"[yellow]warning{times}:[/yellow] {escape(kind)}")
            if len(tally) > WARNING_KINDS:
                more = len(tally) - WARNING_KINDS
                err.print(f"[yellow]and {more} more kinds of warning[/yellow]")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seqcast`` console script. Ctrl-C and SIGTERM stop a command the
    same way (what it was writing is removed, a training saves its last epoch) and exit 130
    with a line that says so; warnings come at the end, one line per kind."""
    logger = logging.getLogger("seqcast")
    notes, level = _Notes(logging.INFO), logger.level
    logger.addHandler(notes)
    logger.setLevel(logging.INFO)
    received: list[str] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    handlers = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with _tallied_warnings():
            code = app(args=argv, prog_name="seqcast", standalone_mode=False)
    except SeqcastError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        sys.exit(1)
    except typer.Abort:
        code = 130
    except Exception as exc:  # a usage error (click's, vendored by typer or not): typer's box
        if _bad_value(exc):  # a value out of range, like every other bad value: one line
            message = exc.format_message()  # type: ignore[attr-defined]
            err.print(f"[bold red]error:[/bold red] {escape(message[:1].lower() + message[1:])}")
            sys.exit(1)
        if not (hasattr(exc, "exit_code") and hasattr(exc, "show")):
            raise
        usage: Any = exc
        rich_utils.rich_format_error(usage)
        sys.exit(usage.exit_code)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        logger.removeHandler(notes)
        logger.setLevel(level)
    if received or code == 130:
        err.print(f"interrupted ({received[0] if received else 'SIGINT'})")
        sys.exit(130)
    sys.exit(code or 0)
