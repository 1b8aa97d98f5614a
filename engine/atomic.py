"""Atomic writes: a temporary file in the same folder, fsync, then os.replace.

A crash at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
from filelock import FileLock
from PIL import Image as PILImage


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; finished files get the usual permissions (0666 & ~umask).
_FILE_MODE = 0o666 & ~_current_umask()


def write_atomic(
    path: str | Path, writer: Callable[[IO[bytes]], None], mode: int | None = None
) -> Path:
    """mode: the finished file's permissions (e.g. 0o600 for secrets); default 0666 & ~umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes, mode: int | None = None) -> Path:
    return write_atomic(path, lambda fh: fh.write(data), mode)


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Strict JSON: NaN and infinity (undefined metrics) are written as null."""
    return write_bytes_atomic(path, json_bytes(obj))


def json_bytes(obj: Any) -> bytes:
    """The bytes write_json_atomic writes, for a caller that writes them itself (all
    outputs of an export are built first, then written)."""
    text = json.dumps(_finite(obj), indent=2, default=_json_default, allow_nan=False) + "\n"
    return text.encode("utf-8")


def write_png_atomic(path: str | Path, array: np.ndarray) -> Path:
    return write_atomic(path, lambda fh: PILImage.fromarray(array).save(fh, format="PNG"))


def write_csv_atomic(path: str | Path, header: tuple[str, ...], rows: list[tuple]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8"))


def replace_folder_atomic(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Run fill(staging) in a sibling folder, then swap it into out_dir (replacing it).

    Readers see the old folder or the new one, never a mixture; a failure in fill leaves the
    old folder untouched and removes the staging folder. The swap (two renames) holds a lock
    beside the folder, and each call first repairs what a killed writer left (recover_folder),
    so a kill -9 at any moment loses neither the old folder nor, once done, the new one."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _swap_lock(out_dir):
        recover_folder(out_dir)
    # The writer's pid in the name tells recover_folder whose staging folder it is.
    prefix = f".{out_dir.name}.{os.getpid()}."
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    staging.chmod(0o777 & ~_current_umask())  # mkdtemp makes 0700; results are for everyone
    try:
        fill(staging)
        with _swap_lock(out_dir):
            if out_dir.exists():
                retired = _retired(out_dir)
                shutil.rmtree(retired, ignore_errors=True)
                out_dir.rename(retired)
                staging.rename(out_dir)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def recover_folder(out_dir: str | Path) -> bool:
    """Repair what a writer of out_dir killed mid-way left behind: the old folder put back
    when the kill fell between the swap's two renames, and the staging folders of writers
    that are no longer running removed. Returns whether anything was repaired. Call it under
    the swap lock (replace_folder_atomic does)."""
    out_dir = Path(out_dir)
    repaired = False
    retired = _retired(out_dir)
    if retired.is_dir():
        if out_dir.exists():
            shutil.rmtree(retired, ignore_errors=True)
        else:
            retired.rename(out_dir)
        repaired = True
    if out_dir.parent.is_dir():
        head = f".{out_dir.name}."
        for staging in out_dir.parent.iterdir():
            pid = staging.name[len(head) :].split(".", 1)[0]
            dead = pid.isdigit() and not _running(int(pid))
            if staging.name.startswith(head) and staging.is_dir() and dead:
                shutil.rmtree(staging, ignore_errors=True)
                repaired = True
    return repaired


def recover_folders(parent: str | Path) -> bool:
    """recover_folder for every folder of `parent` a killed writer left traces of."""
    parent = Path(parent)
    names = set()
    for entry in parent.iterdir() if parent.is_dir() else []:
        if entry.name.startswith(".") and entry.is_dir():
            stem = entry.name[1:]
            if stem.endswith(".old"):
                names.add(stem[: -len(".old")])
            elif len(parts := stem.rsplit(".", 2)) == 3 and parts[1].isdigit():
                names.add(parts[0])  # .<name>.<pid>.<random>: mkdtemp's part has no dot
    return any([recover_folder(parent / name) for name in sorted(names)])


def _retired(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.old")


@contextmanager
def _swap_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the parent folder itself (flock on its descriptor): no lock file is
    left in a folder the user chose. Where flock is missing (Windows) a hidden lock file."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        with FileLock(str(out_dir.with_name(f".{out_dir.name}.lock")), timeout=120):
            yield
        return
    fd = os.open(out_dir.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _finite(obj: Any) -> Any:
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
