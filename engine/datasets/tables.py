"""Small CSV tables beside a data set (labels, split, patients, views), read strictly."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from engine.atomic import write_bytes_atomic
from engine.errors import DatasetError


def read_table(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows as dicts with stripped keys and values; DatasetError names the file and the gap."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in required if c not in fields]
    if missing:
        raise DatasetError(f"{path}: needs the column(s) {', '.join(missing)} (has {fields})")
    rows = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            rows.append(clean)
    return rows


def read_mapping(path: Path, key: str, value: str) -> dict[str, str]:
    """key -> value for an optional table; {} when the file does not exist."""
    if not path.is_file():
        return {}
    return {row[key]: row[value] for row in read_table(path, (key, value)) if row.get(key)}


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8"))
