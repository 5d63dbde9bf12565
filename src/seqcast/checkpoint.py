"""Checkpoint files: one ``torch.save`` of plain data, written atomically, read back with
``torch.load(weights_only=True)`` so that loading never runs pickled code.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts; ``FORMAT_VERSION``
changes when its layout does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from seqcast.errors import SeqcastError
from seqcast.results import follow_umask

FORMAT_VERSION = 2  # 2: the training state to resume from (optimizer, generators)
KIND = "seqcast-checkpoint"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename (never half a file)."""
    path = Path(path)
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


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint; a missing, truncated, foreign or newer file is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise SeqcastError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SeqcastError(
            f"cannot read checkpoint {path} (truncated or not a checkpoint): {reason[:200]}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("kind") != KIND:
        raise SeqcastError(f"{path} is not a seqcast checkpoint")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise SeqcastError(
            f"{path} has checkpoint format {version}; this seqcast reads format {FORMAT_VERSION}"
        )
    return payload
