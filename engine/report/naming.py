"""Export file names that cannot collide between patients, and the refusal to overwrite.

A remembered export folder plus one fixed de-identified name ("case_report.pdf") made every
export overwrite the previous patient's files (issue 20). So each case gets its own name
when de-identifying: a pseudonym derived from what is exported (the pixels, or the case's
path for multi-view studies and volumes), never from an identifier, the same for the same
case (a second export of it is a replacement, asked about) and different between cases.
Nothing is replaced silently: `refuse_overwrite` names the files that exist already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engine.report.errors import ExportError

PSEUDONYM_PREFIX = "case-"
PSEUDONYM_HEX = 10


def case_pseudonym(content: np.ndarray | str | Path) -> str:
    """`case-<10 hex digits>` of a SHA-256 of the pixels (or of a path's text): stable for
    one case, different for another, and no identifier can be read from it."""
    digest = hashlib.sha256()
    if isinstance(content, np.ndarray):
        array = np.ascontiguousarray(content)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    else:
        digest.update(str(Path(content).expanduser().resolve()).encode())
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX]


def existing(paths: Iterable[Path | None]) -> list[Path]:
    """The targets that are already on disk, in order, each once."""
    seen: list[Path] = []
    for path in paths:
        if path is not None and path.exists() and path not in seen:
            seen.append(path)
    return seen


def refuse_overwrite(paths: Iterable[Path | None], hint: str = "") -> None:
    """ExportError naming every target that exists (nothing has been written then)."""
    found = existing(paths)
    if found:
        names = ", ".join(str(p) for p in found)
        raise ExportError(
            "not exported", f"would overwrite {names}" + (f" ({hint})" if hint else "")
        )
