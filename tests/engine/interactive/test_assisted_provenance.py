"""A Smart Click mask is stored as reader-drawn with AI assistance, and exported so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.datastore import Datastore
from engine.datastore.export import export_cases


def test_assistance_is_kept_with_the_correction_and_exported(tmp_path: Path) -> None:
    image = tmp_path / "scan.png"
    PILImage.fromarray(np.zeros((20, 30), np.uint8)).save(image)
    store = Datastore(tmp_path / "home")
    case = store.add_case(image)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:10, 5:15] = 1
    assistance = {"method": "reader-drawn with AI assistance", "model_ids": ["interactive-s0"]}
    record = store.save_correction(case, mask, "benign", "dr.a", assistance=assistance)
    assert record.final.assistance == assistance
    assert store.case(case).final.assistance == assistance  # read back from the index
    plain = store.save_correction(case, mask, "benign", "dr.a")  # a later hand correction
    assert plain.final.assistance == {}
    store.save_correction(case, mask, "benign", "dr.a", assistance=assistance)
    out = export_cases(store, tmp_path / "export")
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["cases"][case]["assistance"] == assistance
