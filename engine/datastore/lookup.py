"""Which stored case a file on disk is: a file inside the datastore's images/, or a copy
(same name, same bytes) of one imported from elsewhere. Shared by the viewer (reviews,
measurements) and `lesionlens export` (the measurements stored with a case)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.datastore.records import CaseRecord


def case_id_for_file(root: Path, records: Iterable[CaseRecord], path: str | Path) -> str | None:
    """The case id of `path` among `records` of the datastore at `root`, or None."""
    path = Path(path)
    if not path.is_file():
        return None
    images = (root / "images").resolve()
    resolved = path.resolve()
    records = list(records)
    if resolved.is_relative_to(images):
        case_id = resolved.relative_to(images).parts[0]
        return case_id if any(r.case_id == case_id for r in records) else None
    size = path.stat().st_size
    for record in records:
        stored = record.image
        if record.source != path.name or not stored.is_file():
            continue
        if stored.stat().st_size == size and stored.read_bytes() == path.read_bytes():
            return record.case_id
    return None
