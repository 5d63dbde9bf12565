"""Results folders that appear whole or not at all, and never replace earlier results.

``results_dir(path)`` refuses a path that already exists (unless it is an empty folder),
hands out a hidden temporary folder beside it to write into, and renames that into place
only when the block finishes without error.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from seqcast.errors import SeqcastError


def check_new(path: Path) -> None:
    """Raise if ``path`` holds anything: results are never overwritten."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise SeqcastError(
            f"{path} already exists; choose a new --out folder (seqcast never overwrites results)"
        )


def fresh_path(root: Path, stem: str) -> Path:
    """``root/stem-YYYYmmdd-HHMMSS`` (with a counter if that exists too)."""
    base = root / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


@contextmanager
def results_dir(path: Path) -> Iterator[Path]:
    """Write into the yielded temporary folder; it becomes ``path`` on success."""
    check_new(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            path.rmdir()  # the empty folder check_new allowed; fails if someone filled it
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def json_ready(value: Any) -> Any:
    """A copy of a JSON-ready structure with NaN/inf (undefined metrics) replaced by None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_ready(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
