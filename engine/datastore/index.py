"""datastore.json: the one file that says which cases exist and where their files are.

It is read without a lock (os.replace makes every version complete) and rewritten only
under <root>/.lock, after the files it points to are complete on disk. So a crash at any
moment leaves an index that parses and whose every entry has its files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.atomic import write_json_atomic
from engine.datastore.errors import DatastoreError

SCHEMA_VERSION = 1
INDEX_NAME = "datastore.json"
LOCK_NAME = ".lock"


def empty_index() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "cases": {}}


def read_index(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return empty_index()
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatastoreError(f"{path}: the datastore index cannot be read ({exc})") from exc
    if not isinstance(index, dict) or not isinstance(index.get("cases"), dict):
        raise DatastoreError(f"{path}: not a LesionLens datastore index (no 'cases' object)")
    version = index.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise DatastoreError(
            f"{path}: schema_version {version!r} is not supported by this LesionLens "
            f"(reads up to {SCHEMA_VERSION}); update LesionLens"
        )
    return index


def write_index(path: Path, index: dict[str, Any]) -> None:
    index["schema_version"] = SCHEMA_VERSION
    write_json_atomic(path, index)
