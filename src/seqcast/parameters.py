"""Parameters and their types: the check that a value fits a field (``matches``, in words
``describe``), text turned into a field's type (``convert``, the CLI's ``--set``), and
``check_fields``, which refuses a settings dataclass holding a value of the wrong type."""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from typing import Any, Literal

from seqcast.errors import SeqcastError


def check_fields(settings: Any, name: str) -> None:
    """Refuse a field of dataclass instance ``settings`` whose value is not of its type,
    naming ``name``, the field and the value: ``train: epochs must be an int, got 'two'``."""
    for key, hint in field_types(type(settings)).items():
        value = getattr(settings, key)
        if not matches(value, hint):
            raise SeqcastError(f"{name}: {key} must be {describe(hint)}, got {value!r}")


def field_types(cls: type) -> dict[str, Any]:
    """Each field of dataclass ``cls`` with its type (annotations resolved)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _options(hint: Any) -> tuple[Any, ...]:
    """The alternatives of a union (``int | None``), or the hint alone."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def convert(text: str, hint: Any) -> Any:
    """Text to a value of type ``hint``; ValueError when it does not fit."""
    for option in _options(hint):
        if option is type(None):
            if text.lower() in ("none", "null", ""):
                return None
            continue
        try:
            return _convert_one(text, option)
        except ValueError:
            continue
    raise ValueError(text)


def _convert_one(text: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(text)
    if hint in (int, float, str):
        return hint(text)
    if origin is Literal:
        if text in typing.get_args(hint):
            return text
        raise ValueError(text)
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0] if args else str
        parts = [p.strip() for p in text.split(",")] if text else []
        values = tuple(_convert_one(p, item) for p in parts)
        if len(args) > 1 and args[1] is not Ellipsis and len(values) != len(args):
            raise ValueError(text)
        return values
    raise ValueError(text)


def matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of type ``hint`` (a whole number is a float, True is no int)."""
    for option in _options(hint):
        origin = typing.get_origin(option)
        if option is type(None) and value is None:
            return True
        if isinstance(value, bool):
            if option is bool:
                return True
            continue
        if option is float and isinstance(value, numbers.Real):
            return True
        if option is int and isinstance(value, numbers.Integral):
            return True
        if option is str and isinstance(value, str):
            return True
        if origin is Literal and value in typing.get_args(option):
            return True
        if origin is tuple and isinstance(value, tuple | list):
            return True
        if dataclasses.is_dataclass(option) and isinstance(value, dict | option):
            return True
    return False


def describe(hint: Any, text: bool = False) -> str:
    """``hint`` in words: "an int or none", "'mse' or 'mae'", "one of 'a', 'b', 'c'"; a
    tuple is "a tuple or list" of a value, "comma-separated values" of ``text`` (--set)."""
    names = []
    for option in _options(hint):
        if option is type(None):
            names.append("none")
        elif typing.get_origin(option) is Literal:
            choices = [repr(a) for a in typing.get_args(option)]
            names.append(
                f"one of {', '.join(choices)}" if len(choices) > 2 else " or ".join(choices)
            )
        elif typing.get_origin(option) is tuple:
            names.append("comma-separated values" if text else "a tuple or list")
        else:
            names.append(f"{'an' if option is int else 'a'} {option.__name__}")
    return " or ".join(names)
