"""engine.case_kind: one answer to "what kind of case is this path?" for the CLI and the GUI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.case_kind import IMAGE, STUDY, VOLUME, case_kind, is_series_folder
from engine.report.ct_series import derived_ct_series
from engine.study.commands import study_inputs
from engine.types import Volume


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(np.full((8, 8), 90, np.uint8)).save(path)
    return path


def _ct_series(folder: Path, slices: int = 3) -> Path:
    folder.mkdir(parents=True)
    volume = Volume(np.zeros((slices, 8, 8), np.float32), (2.5, 0.8, 0.8))
    for k, ds in enumerate(derived_ct_series(volume)):
        ds.save_as(folder / f"slice{k:03d}.dcm", enforce_file_format=True)
    return folder


def test_two_cases_with_one_view_each_are_images_to_the_cli_and_the_gui(tmp_path: Path) -> None:
    from desktop.models.opening import opens_as
    from desktop.models.reading.case_list import folder_entries

    folder = tmp_path / "mixed"
    _png(folder / "case1_us.png"), _png(folder / "case2_photo.png")
    assert case_kind(folder) == IMAGE
    assert study_inputs([folder], None, None) is None  # the CLI analyses two images
    assert opens_as(folder) == IMAGE  # and so does the GUI
    assert [e.name for e in folder_entries(folder)] == ["case1_us.png", "case2_photo.png"]


def test_one_case_with_two_views_is_a_study_to_both(tmp_path: Path) -> None:
    from desktop.models.opening import opens_as

    folder = tmp_path / "case7"
    _png(folder / "case7_us.png"), _png(folder / "case7_photo.png")
    assert case_kind(folder) == STUDY and opens_as(folder) == STUDY
    assert study_inputs([folder], None, None) == [(folder, None)]


def test_a_case_of_a_views_table_is_a_study(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _png(root / "images" / "a_us.png"), _png(root / "images" / "a_photo.png")
    (root / "views.csv").write_text(
        "case,view,file\na,us,images/a_us.png\na,photo,images/a_photo.png\n"
    )
    assert case_kind(root) == STUDY and case_kind(root / "a") == STUDY
    assert study_inputs([root], None, None) == [(root, "a")]
    assert study_inputs([root / "a"], None, None) == [(root, "a")]


def test_volumes_are_ct_series_and_nifti_not_ultrasound_folders(tmp_path: Path) -> None:
    series = _ct_series(tmp_path / "ct")
    assert case_kind(series) == VOLUME and is_series_folder(series)
    assert case_kind(tmp_path / "scan.nii.gz") == VOLUME  # by name: the reader says if it is bad
    one_slice = _ct_series(tmp_path / "one", slices=1)
    assert case_kind(one_slice) == IMAGE  # one slice is no volume
    pngs = tmp_path / "pngs"
    _png(pngs / "a.png"), _png(pngs / "b.png")
    assert case_kind(pngs) == IMAGE and case_kind(pngs / "a.png") == IMAGE
