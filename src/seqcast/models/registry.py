"""One registry of forecasters by name: ``@register_model``, ``create_model``, ``list_models``.

On first use the registry imports every module of the ``seqcast.models`` package, so a model
in a new module registers itself with no list to update (and importing seqcast stays light).
Parameters given as text (the CLI's ``--set key=value``) are converted to each field's type.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from seqcast.errors import SeqcastError
from seqcast.models.base import Forecaster
from seqcast.parameters import convert, describe, field_types, matches

_REGISTRY: dict[str, type[Forecaster]] = {}
_loaded = False

M = TypeVar("M", bound=type[Forecaster])


def register_model(name: str) -> Callable[[M], M]:
    """Class decorator adding a Forecaster dataclass to the registry under ``name``."""

    def add(cls: M) -> M:
        if name in _REGISTRY:
            raise ValueError(
                f"model name {name!r} is already registered by {_REGISTRY[name].__qualname__}"
            )
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__qualname__} must be a dataclass to be registered")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return add


def list_models() -> list[str]:
    _load_families()
    return sorted(_REGISTRY)


def model_class(name: str) -> type[Forecaster]:
    _load_families()
    if name not in _REGISTRY:
        raise SeqcastError(f"unknown model {name!r}; choose one of {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(name: str, **params: Any) -> Forecaster:
    """A new forecaster by registered name; unknown or mistyped parameters are an error."""
    cls = model_class(name)
    hints = field_types(cls)
    for key, value in params.items():
        if key not in hints:
            raise SeqcastError(_unknown_parameter(name, key, hints))
        if not matches(value, hints[key]):
            raise SeqcastError(
                f"{name}: parameter {key!r} must be {describe(hints[key])}, got {value!r}"
            )
    return cls(**params)


def load_model(path: str | Path, *, device: str = "auto") -> Forecaster:
    """A fitted forecaster from a checkpoint written by its ``save``; the file says which
    model it holds. A file of a model that cannot be saved, or any other file, is refused.
    A network forecasts on ``device`` (``train.device``'s forms; ``auto``: a GPU when there
    is one), wherever it was trained."""
    from seqcast.checkpoint import load_checkpoint

    return model_from_checkpoint(load_checkpoint(path), path, device)


def model_from_checkpoint(
    payload: dict[str, Any], path: str | Path, device: str = "auto"
) -> Forecaster:
    """The forecaster a checkpoint's content (``seqcast.checkpoint.load_checkpoint``) holds,
    its network on ``device``; ``path`` names the file in errors; one that lacks a part, or
    holds a part of the wrong kind, is refused as damaged."""
    name = payload.get("model")
    if not isinstance(name, str):
        raise SeqcastError(f"{path} is damaged: it does not name its model")
    cls = model_class(name)
    from_checkpoint = getattr(cls, "from_checkpoint", None)
    if from_checkpoint is None:
        raise SeqcastError(f"{path}: {cls.name} models are not saved to checkpoints")
    from seqcast.checkpoint import damaged

    with damaged(path):
        model = from_checkpoint(payload, path)
    to_device = getattr(model, "to_device", None)
    if to_device is not None:
        to_device(device)
    return model


def parse_overrides(name: str, overrides: Iterable[str]) -> dict[str, Any]:
    """``["season=7", "order=1,0,0", "train.lr=0.01"]`` -> ``{"season": 7, "order": (1, 0, 0),
    "train": {"lr": 0.01}}`` for ``name``; a dotted key sets a field of a nested settings
    dataclass."""
    hints = field_types(model_class(name))
    parsed: dict[str, Any] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SeqcastError(f"--set takes key=value, got {item!r}")
        head, dot, rest = key.partition(".")
        if head not in hints:
            raise SeqcastError(_unknown_parameter(name, head, hints))
        if dot:
            nested = hints[head]
            if not dataclasses.is_dataclass(nested):
                raise SeqcastError(f"{name}: parameter {head!r} has no fields ({key!r})")
            inner = field_types(nested)  # type: ignore[arg-type]
            if rest not in inner:
                raise SeqcastError(_unknown_parameter(f"{name} {head}", rest, inner))
            parsed.setdefault(head, {})[rest] = _parse_one(name, key, text, inner[rest])
        else:
            parsed[key] = _parse_one(name, key, text, hints[key])
    return parsed


def _parse_one(name: str, key: str, text: str, hint: Any) -> Any:
    try:
        return convert(text.strip(), hint)
    except ValueError:
        raise SeqcastError(
            f"{name}: parameter {key!r} must be {describe(hint, text=True)}, got {text!r}"
        ) from None


def _load_families() -> None:
    """Import every module of ``seqcast.models`` (each registers the models it defines)."""
    global _loaded
    if not _loaded:
        import seqcast.models as package

        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _loaded = True


def _unknown_parameter(name: str, key: str, hints: dict[str, Any]) -> str:
    valid = ", ".join(hints) if hints else "none"
    return f"{name} has no parameter {key!r}; its parameters are: {valid}"
