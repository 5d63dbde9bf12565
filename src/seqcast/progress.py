"""Progress of long work: what runs, n of N, and the time so far.

On a terminal it is a live bar; otherwise (a log file, a pipe, CI) one line per finished
step, so a reader can see where the work is. It writes to stderr, leaving stdout to results.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any


class Progress:
    """``total`` steps of ``label`` work: ``start(n, what)`` when step n begins (a line says
    what runs), ``advance(n, detail)`` when it has finished. ``enabled=False`` shows
    nothing."""

    def __init__(self, total: int, label: str, console: Any = None, enabled: bool = True) -> None:
        from rich.console import Console

        self.total, self.label, self.enabled = total, label, enabled
        self.console = console or Console(stderr=True, soft_wrap=True)
        self._start = time.perf_counter()
        self._bar: Any = None
        if enabled and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn(label),
                MofNCompleteColumn(),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[detail]}"),
                console=self.console,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, detail="")

    def start(self, number: int, what: str) -> None:
        """Step ``number`` (from 1) begins: ``what`` runs."""
        if self._bar is not None:
            self._bar.update(self._task, detail=f"running {what}")
        elif self.enabled:
            self._line(f"{self.label} {number}/{self.total}: {what} running")

    def advance(self, done: int, detail: str = "") -> None:
        """Step ``done`` (from 1) has finished; ``detail`` says what it gave."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done, detail=detail)
        elif self.enabled:
            self._line(f"{self.label} {done}/{self.total}" + (f": {detail}" if detail else ""))

    def _line(self, text: str) -> None:
        elapsed = time.perf_counter() - self._start
        self.console.print(f"{text} ({elapsed:.1f} s so far)", markup=False, highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
