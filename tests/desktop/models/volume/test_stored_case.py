"""The open CT's labels as a datastore volume case, without a display: imported once, the AI's
labels stored once, the reader's labels with their provenance on every save."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop.models.volume.session import VolumeSession
from desktop.models.volume.stored_case import ASSISTED, store_session
from engine.datastore import Datastore
from engine.datastore.volumes import VolumeStore
from engine.io import read_nifti
from engine.synth.nifti_out import write_nifti
from engine.types import VolumePrediction

SHAPE = (6, 10, 12)
NAMES = ("background", "kidney", "tumour")


def _open(tmp_path: Path) -> VolumeSession:
    path = write_nifti(tmp_path / "ct.nii.gz", np.zeros(SHAPE, np.int16), (2.0, 1.0, 1.0))
    session = VolumeSession()
    session.open(read_nifti(path), path)
    return session


def test_saving_stores_the_ct_the_ai_labels_once_and_each_correction(tmp_path: Path) -> None:
    session = _open(tmp_path)
    ai = np.zeros(SHAPE, np.uint8)
    ai[2:4, 3:6, 3:6] = 2
    request = session.start_analysis(Path("/bundle"))
    session.finish_analysis(
        request, VolumePrediction(ai, NAMES, {"benign": 0.4, "malignant": 0.6}, {}, "ct-model")
    )
    mine = ai.copy()
    mine[2:4, 3:6, 3:6] = 1
    session.labels.replace(mine, "mine")
    session.labels.assisted_by.add("click-model")
    store = Datastore(tmp_path / "home")

    first = store_session(store, session, "dr.a")
    assert first.original is not None and first.original.model_id == "ct-model"
    assert first.final is not None and first.final.author == "dr.a"
    assert first.final.assistance == {"method": ASSISTED, "model_ids": ["click-model"]}
    assert first.final.correction_dice == {"kidney": 0.0, "tumour": 0.0}

    session.labels.replace(ai, "back to the AI's")
    session.labels.assisted_by.clear()
    second = store_session(store, session, "dr.b")
    assert second.case_id == first.case_id and second.final is not None
    assert (second.final.revision, second.final.author) == (2, "dr.b")
    assert second.original == first.original  # written once
    assert second.final.correction_dice == {"kidney": 1.0, "tumour": 1.0}
    assert second.final.assistance == {}
    volumes = VolumeStore(store)
    assert [r.case_id for r in volumes.cases()] == [first.case_id]
    assert np.array_equal(volumes.final_labels(first.case_id), ai)
    assert store.cases() == []  # not a 2D case


def test_a_volume_without_a_file_is_not_stored(tmp_path: Path) -> None:
    session = VolumeSession()
    with pytest.raises(ValueError, match="needs an open volume"):
        store_session(Datastore(tmp_path / "home"), session, "dr.a")
