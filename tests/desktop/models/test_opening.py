"""desktop.models.opening: the window's kind of a path is engine.case_kind's, plus the case
list of a views.csv data set, the frames of a cine and DICOM folders listed as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from desktop.models.image.series import CINE
from desktop.models.opening import (
    CASE_LIST,
    IMAGE,
    STUDY,
    VOLUME,
    is_listed_folder,
    is_study,
    open_series,
    opens_as,
)
from engine.case import open_case
from engine.case_kind import case_kind
from engine.errors import LoadError
from engine.report.ct_series import derived_ct_series
from engine.types import Volume


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(np.full((8, 8), 90, np.uint8)).save(path)
    return path


def _ct_series(folder: Path, slices: int = 3) -> Path:
    folder.mkdir(parents=True)
    voxels = np.arange(slices * 64, dtype=np.float32).reshape(slices, 8, 8)
    for k, ds in enumerate(derived_ct_series(Volume(voxels, (2.5, 0.8, 0.8)))):
        ds.save_as(folder / f"slice{k:03d}.dcm", enforce_file_format=True)
    return folder


def _views_table(root: Path, cases: tuple[str, ...]) -> Path:
    rows = ["case,view,file"]
    for case in cases:
        for view in ("us", "photo"):
            _png(root / "images" / f"{case}_{view}.png")
            rows.append(f"{case},{view},images/{case}_{view}.png")
    (root / "views.csv").write_text("\n".join(rows) + "\n")
    return root


def test_the_kind_is_the_engines_and_a_data_set_of_cases_is_a_list(tmp_path: Path) -> None:
    mixed, study = tmp_path / "mixed", tmp_path / "case7"
    _png(mixed / "case1_us.png"), _png(mixed / "case2_photo.png")
    _png(study / "case7_us.png"), _png(study / "case7_photo.png")
    series = _ct_series(tmp_path / "ct")
    data = _views_table(tmp_path / "data", ("a", "b"))
    one = _views_table(tmp_path / "one", ("a",))
    expected = {
        mixed: IMAGE,
        mixed / "case1_us.png": IMAGE,
        study: STUDY,
        series: VOLUME,
        tmp_path / "scan.nii.gz": VOLUME,
        data: CASE_LIST,  # the CLI reads both cases; the window lists them
        data / "b": STUDY,
        one: STUDY,  # a data set of one case is that case
    }
    for path, kind in expected.items():
        assert opens_as(path) == kind, path
        assert case_kind(path) == (STUDY if kind == CASE_LIST else kind), path
        assert is_study(path) == (kind in (STUDY, CASE_LIST)), path


def test_a_study_source_that_is_a_volume_is_no_study(tmp_path: Path) -> None:
    """is_study skips the volume check only where no study source exists."""
    folder = _ct_series(tmp_path / "ct")
    (folder / "views.csv").write_text("case,view,file\na,us,slice000.dcm\n")
    assert case_kind(folder) == VOLUME and not is_study(folder)


def test_listed_subfolders_are_studies_volumes_and_dicom_folders(tmp_path: Path) -> None:
    study = tmp_path / "case7"
    _png(study / "case7_us.png"), _png(study / "case7_photo.png")
    one_slice = _ct_series(tmp_path / "one_slice", slices=1)  # no volume, still a DICOM folder
    pngs = tmp_path / "pngs"
    _png(pngs / "a.png"), _png(pngs / "b.png")
    data = _views_table(tmp_path / "data", ("a", "b"))
    assert is_listed_folder(study) and is_listed_folder(_ct_series(tmp_path / "ct"))
    assert is_listed_folder(one_slice) and case_kind(one_slice) == IMAGE
    assert not is_listed_folder(pngs)  # a folder of images is no case
    assert not is_listed_folder(data)  # a data set is opened as a folder, not listed as a case
    assert not is_listed_folder(tmp_path / "missing")


def test_a_volume_is_read_as_open_case_reads_it_and_a_cine_as_frames(
    tmp_path: Path, cine_dicom: Path
) -> None:
    series = _ct_series(tmp_path / "ct")
    shown = open_series(series)
    assert shown.kind == VOLUME and shown.count == 3
    np.testing.assert_array_equal(shown.content.voxels, open_case(series).volume.voxels)
    cine = open_series(cine_dicom)
    assert cine.kind == CINE and cine.count == 5  # open_case reads one frame of it
    assert open_case(cine_dicom).image.pixels.shape == cine.frame(0).pixels.shape
    with pytest.raises(LoadError, match="missing.png"):
        open_series(tmp_path / "missing.png")
