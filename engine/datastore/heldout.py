"""The fixed held-out split of the datastore: decided by the case id alone, once, forever.

A stable hash (not Python's salted hash()) puts about HELDOUT_FRACTION of the cases in the
held-out set. The split is stored in the index when a case enters and never recomputed, so
changing the fraction later cannot move a case that was already held out into training.
"""

from __future__ import annotations

import hashlib

HELDOUT_FRACTION = 0.2
TRAIN, HELDOUT = "train", "val"  # the split.csv names of the canonical folder format


def split_for(case_id: str, fraction: float = HELDOUT_FRACTION) -> str:
    digest = hashlib.sha256(f"lesionlens-heldout:{case_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return HELDOUT if position < fraction else TRAIN
