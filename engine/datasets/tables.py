"""Small CSV tables beside a data set (labels, split, patients, views, meta), read strictly.

The one parser of data-set tables: every reader in engine and training comes here, so a
table means the same everywhere (UTF-8 with or without BOM, stripped keys and values, blank
rows ignored) and a bad one is always a TableError naming the file and the reason."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from engine.atomic import write_bytes_atomic
from engine.errors import TableError


def _parse(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(stripped header, non-blank rows with stripped keys and values) of one CSV file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip() for f in (reader.fieldnames or [])]
        rows = []
        for row in reader:
            clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
            if any(clean.values()):
                rows.append(clean)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TableError(path, f"cannot be read ({exc})") from exc
    return fields, rows


def read_table(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows as dicts with stripped keys and values; TableError names the file and the gap."""
    fields, rows = _parse(path)
    missing = [c for c in required if c not in fields]
    if missing:
        raise TableError(path, f"needs the column(s) {', '.join(missing)} (has {fields})")
    return rows


def read_mapping(path: Path, key: str, value: str) -> dict[str, str]:
    """key -> value for an optional table; {} when the file does not exist."""
    if not path.is_file():
        return {}
    return {row[key]: row[value] for row in read_table(path, (key, value)) if row.get(key)}


def read_pairs(path: Path) -> dict[str, str]:
    """First column -> second column, whatever the header names them.

    Why not read_mapping: the fine-tune readers (training.data, training.view_data,
    training.transfer_recipe) have always taken labels.csv and split.csv by position, so a
    user's `id,diagnosis` or `case,fold` table trains as it did; naming the columns here
    would turn those folders away."""
    fields, rows = _parse(path)
    if len(fields) < 2:
        raise TableError(path, f"expected a header with two columns (has {fields})")
    key, value = fields[0], fields[1]
    return {row[key]: row.get(value, "") for row in rows if row.get(key)}


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8"))
