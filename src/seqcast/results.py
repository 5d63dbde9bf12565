"""Results folders that appear whole or not at all, never replace earlier results, and are
never lost after the work that made them.

``check_new(path)`` refuses, before any work, a path that exists (unless it is an empty
folder), is a link, lies under a file, or whose folder cannot be written.
``results_dir(path)`` hands out a hidden temporary folder beside it to write into (or in
the system's temporary folder when that cannot be made) and renames it into place only when
the block finishes without error; when that last step fails (the folder became read-only,
another run took the name) the results stay where they were written and the error names
that folder. Folders and files follow the user's umask.
"""

from __future__ import annotations

import dataclasses
import errno
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
    """Raise, saying why, unless results can be written to ``path``: a new path (or an
    empty folder), not a link, under a folder that exists or can be made and that this
    process can write in."""
    path = Path(path)
    if path.is_symlink():
        raise SeqcastError(f"{path} is a symbolic link; give a new folder for the results")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise SeqcastError(
            f"{path} already exists; choose a new --out folder (seqcast never overwrites results)"
        )
    writable_folder(path.parent)


def writable_folder(folder: Path) -> None:
    """Raise unless files can be made in ``folder``, or in the folders that would make it:
    its nearest existing ancestor must be a folder this process can write in (tried by
    making and removing a folder there, which also meets read-only and immutable ones)."""
    ancestor = Path(os.path.abspath(folder))
    while not ancestor.exists() and not ancestor.is_symlink():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise SeqcastError(f"cannot write under {folder}: {ancestor} is a file, not a folder")
    try:
        Path(tempfile.mkdtemp(prefix=".seqcast-check-", dir=ancestor)).rmdir()
    except OSError as error:
        raise SeqcastError(f"cannot write in {ancestor}: {error.strerror or error}") from None


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
    """Write into the yielded temporary folder; it becomes ``path`` on success. Should it
    not (``path`` was taken meanwhile, its folder became unwritable), the written results
    are kept where they are and the error names that folder."""
    path = Path(path)
    check_new(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError:  # nowhere beside it: write in the system's temporary folder instead
        tmp = Path(tempfile.mkdtemp(prefix=f"seqcast-{path.name}-"))
    follow_umask(tmp, folder=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        _move(tmp, path)
    except OSError as error:
        kept = tmp
        if kept.name.startswith("."):  # hidden beside the target: make it visible
            visible = kept.with_name(f"{path.name}.unsaved-{datetime.now():%Y%m%d-%H%M%S}")
            kept = visible if _renamed(kept, visible) else kept
        raise SeqcastError(
            f"could not write the results to {path} ({error}); they are in {kept}"
        ) from None


def _move(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` to ``path`` (which must be new, or the empty folder check_new
    allowed); across file systems, copy it there and remove it."""
    if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
        path.rmdir()
    if path.exists() or path.is_symlink():
        raise FileExistsError(errno.EEXIST, "another run wrote it meanwhile", str(path))
    try:
        os.rename(tmp, path)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        try:
            shutil.copytree(tmp, path)
        except OSError:
            shutil.rmtree(path, ignore_errors=True)  # the part copied: ours, not whole
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def follow_umask(path: Path, *, folder: bool = False) -> None:
    """Give ``path`` the permissions a new file (or folder) of this user gets (temporary
    files and folders are made private, 0600 and 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod((0o777 if folder else 0o666) & ~mask)


def _renamed(source: Path, target: Path) -> bool:
    try:
        source.rename(target)
        return True
    except OSError:
        return False


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
