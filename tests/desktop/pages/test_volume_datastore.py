"""The volume page's save in the window: the labels file beside the CT as before, and the volume
case in the datastore (the window's save path, desktop.shell.saving), with the reader as
author; reopening the CT brings the labels back."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.main_window import MainWindow
from desktop.models.volume.label_files import labels_path_for
from engine.datastore import Datastore
from engine.datastore.volumes import VolumeStore
from engine.synth.nifti_out import write_nifti

SHAPE = (9, 40, 48)


def test_saving_labels_stores_the_volume_case_in_the_datastore(
    window: MainWindow, tmp_path: Path, datastore_home: Path
) -> None:
    ct = write_nifti(tmp_path / "kidney.nii.gz", np.zeros(SHAPE, np.int16), (3.0, 1.0, 1.0))
    assert window.open_path(ct)
    session = window.volume_mode.session
    edited = np.zeros(SHAPE, np.uint8)
    edited[2:5, 10:20, 5:15] = 1
    edited[3, 12:14, 8:10] = 2
    session.labels.replace(edited, "test")
    window.review_panel.reviewer_edit.setText("dr.ct")  # the reviewer named in the side panel
    window.volume_mode.save_labels_action.trigger()

    assert labels_path_for(ct).is_file() and not session.modified  # the file, as before
    volumes = VolumeStore(Datastore(datastore_home))
    (record,) = volumes.cases()
    assert record.source == "kidney.nii.gz" and record.image.read_bytes() == ct.read_bytes()
    assert record.final is not None and record.final.revision == 1
    assert record.final.author == "dr.ct"
    assert record.final.volumes_ml["tumour"] == 4 * 3.0 / 1000
    assert np.array_equal(volumes.final_labels(record.case_id), edited)
    assert Datastore(datastore_home).cases() == []  # never a 2D case
    assert f"volume case {record.case_id}" in window.statusBar().currentMessage()

    window.ask_unsaved_changes = lambda _what: "discard"
    session.labels.replace(np.zeros(SHAPE, np.uint8), "clear")
    assert window.open_path(ct)  # reopened: the labels come back as before
    assert np.array_equal(window.volume_mode.session.labels.labels, edited)
    session = window.volume_mode.session
    session.labels.replace(np.zeros(SHAPE, np.uint8), "clear again")
    window.volume_mode.save_labels_action.trigger()
    (again,) = volumes.cases()  # the same case, a new revision
    assert again.case_id == record.case_id and again.final is not None
    assert again.final.revision == 2 and again.final.volumes_ml["kidney"] == 0.0
