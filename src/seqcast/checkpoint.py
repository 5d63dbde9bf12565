"""Checkpoint files: one ``torch.save`` of plain data, written atomically, read back with
``torch.load(weights_only=True)`` so that loading never runs pickled code.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts; ``FORMAT_VERSION``
changes when its layout does.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from seqcast.errors import SeqcastError
from seqcast.results import follow_umask

FORMAT_VERSION = 2  # 2: the training state to resume from (optimizer, generators)
KIND = "seqcast-checkpoint"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename (never half a file)."""
    path = _path(path)
    if path.is_dir():
        raise SeqcastError(f"{path} is a directory; save to a file, such as {path / 'model.pt'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(descriptor)
    try:
        torch.save({"kind": KIND, "format_version": FORMAT_VERSION, **payload}, tmp)
        follow_umask(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _path(path: object) -> Path:
    """``path`` as a Path; anything but a str or a path is refused, naming it."""
    if not isinstance(path, str | os.PathLike):
        raise SeqcastError(f"a checkpoint's path is a str or a Path, got {path!r}")
    return Path(path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint; a missing, truncated, foreign or newer file is a clear error."""
    path = _path(path)
    if path.is_dir():
        inside = path / "model.pt"
        hint = f"; did you mean {inside}?" if inside.is_file() else ""
        raise SeqcastError(f"checkpoint {path} is a directory, not a file{hint}")
    if not path.is_file():
        raise SeqcastError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" not in str(exc).lower():
            raise SeqcastError(f"cannot read checkpoint {path}: {_first_line(exc)}") from None
        raise SeqcastError(
            f"{path} holds Python objects that loading would run as code, which a seqcast "
            "checkpoint never does: it was not written by seqcast, or was changed since; "
            "seqcast does not load it"
        ) from None
    except Exception as exc:  # torch raises several types for damaged files
        raise SeqcastError(
            f"cannot read checkpoint {path} (truncated or not a checkpoint): {_first_line(exc)}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("kind") != KIND:
        raise SeqcastError(f"{path} is not a seqcast checkpoint")
    version = payload.get("format_version")
    if version is None:
        raise SeqcastError(f"{path} is damaged: it does not say its checkpoint format")
    if version != FORMAT_VERSION:
        raise SeqcastError(
            f"{path} has checkpoint format {version}; this seqcast reads format {FORMAT_VERSION}"
        )
    return payload


@contextlib.contextmanager
def damaged(path: str | Path) -> Iterator[None]:
    """Turn what reading a checkpoint's parts raises when one is missing (KeyError) or of
    the wrong kind into an error saying that ``path`` is damaged and what it lacks."""
    try:
        yield
    except SeqcastError:
        raise
    except KeyError as missing:
        raise SeqcastError(f"{path} is damaged: it lacks {missing}") from None
    except (TypeError, ValueError, AttributeError, RuntimeError, IndexError) as error:
        raise SeqcastError(f"{path} is damaged: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    """The first line of ``error``'s message without terminal colour codes, at most 200
    characters (its type's name when it says nothing)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
