"""What travels to a worker: a group of items for one function, each item's outcome (its
result, or the error it raised, and the warnings it gave) coming back, and the modules to
import first."""

from __future__ import annotations

import importlib
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """One item's result, or the error it raised (``error`` is not None)."""

    value: Any = None
    error: str | None = None
    warned: tuple[tuple[type[Warning], str, int], ...] = ()  # (category, message, how often)

    def warn_again(self) -> None:
        """Give the warnings the item gave where it ran, as often, in this process."""
        for category, message, count in self.warned:
            for _ in range(count):
                warnings.warn(message, category, stacklevel=2)


def call(function: Callable[[Any], Any], item: Any) -> Outcome:
    """``function(item)`` as an Outcome; an Exception becomes its type and message, and the
    warnings it gave travel with it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = function(item), None
        except Exception as exc:  # reported with the item's label, the others carry on
            value, error = None, f"{type(exc).__name__}: {exc}"
    tally = Counter((w.category, str(w.message)) for w in caught)
    warned = tuple((category, message, n) for (category, message), n in tally.items())
    return Outcome(value, error, warned)


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
