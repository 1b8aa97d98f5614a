"""The fixed held-out split of the datastore: decided by the case id alone, once, forever.

A stable hash (not Python's salted hash()) puts about HELDOUT_FRACTION of the cases in the
held-out set. The split is stored in the index when a case enters and never recomputed, so
changing the fraction later cannot move a case that was already held out into training.

A user's data set folder (`lesionlens finetune --data DIR`) gets its fixed split in the data
root, not in DIR, so a read-only or shared folder works: <root>/splits/<fingerprint>.csv,
found again by the folder's path (cases added later are appended) or by its content
fingerprint (the same folder moved). A split.csv the folder already has is used as it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HELDOUT_FRACTION = 0.2
TRAIN, HELDOUT = "train", "val"  # the split.csv names of the canonical folder format


def split_for(case_id: str, fraction: float = HELDOUT_FRACTION) -> str:
    digest = hashlib.sha256(f"lesionlens-heldout:{case_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return HELDOUT if position < fraction else TRAIN


SPLITS_DIR, SPLITS_INDEX = "splits", "folders.json"


def folder_split_file(folder: str | Path, root: str | Path | None = None) -> tuple[Path, bool]:
    """(split file, whether it is the folder's own split.csv) for a canonical data folder.

    The folder's own split.csv when it has one; else the file in <root>/splits that this
    folder's path or content fingerprint was given before; else a new <fingerprint>.csv
    (not created here: engine.datasets.ensure_fixed_split(path=...) draws and writes it).
    Registers the folder's path and fingerprint for that file. Never writes into `folder`."""
    from engine.atomic import write_json_atomic
    from engine.datastore.export import folder_fingerprint
    from engine.datastore.home import data_root

    folder = Path(folder)
    own = folder / "split.csv"
    if own.is_file():
        return own, True
    splits = data_root(root) / SPLITS_DIR
    index_path = splits / SPLITS_INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    folders, fingerprints = index.get("folders", {}), index.get("fingerprints", {})
    key, fingerprint = str(folder.resolve()), folder_fingerprint(folder)
    name = next(
        (
            n
            for n in (folders.get(key), fingerprints.get(fingerprint))
            if n and (splits / n).is_file()
        ),
        f"{fingerprint}.csv",
    )
    if folders.get(key) != name or fingerprints.get(fingerprint) != name:
        folders[key], fingerprints[fingerprint] = name, name
        splits.mkdir(parents=True, exist_ok=True)
        write_json_atomic(index_path, {"folders": folders, "fingerprints": fingerprints})
    return splits / name, False
