"""What travels to a worker: a group of items for one function, each item's outcome (its
result, or the error it raised) coming back, and the modules to import first."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """One item's result, or the error it raised (``error`` is not None)."""

    value: Any = None
    error: str | None = None


def call(function: Callable[[Any], Any], item: Any) -> Outcome:
    """``function(item)`` as an Outcome; an Exception becomes its type and message."""
    try:
        return Outcome(function(item))
    except Exception as error:  # reported with the item's label, the others carry on
        return Outcome(error=f"{type(error).__name__}: {error}")


def lost(items: Sequence[Any], why: str) -> list[Outcome]:
    """The outcomes of a group of items whose task never ran to its end."""
    return [Outcome(error=f"its task was lost ({why})") for _ in items]


def import_all(modules: Sequence[str]) -> None:
    """Import ``modules`` (a module imported already costs a dictionary lookup)."""
    for module in modules:
        importlib.import_module(module)


class Group:
    """A task over a group of items: each item's Outcome, in order, once ``preload`` is
    imported (picklable)."""

    def __init__(self, function: Callable[[Any], Any], preload: Sequence[str] = ()) -> None:
        self.function, self.preload = function, tuple(preload)

    def __call__(self, items: list[Any]) -> list[Outcome]:
        import_all(self.preload)
        return [call(self.function, item) for item in items]
