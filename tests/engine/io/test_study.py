"""load_study: one case's views from a named folder, a views.csv data set or a DICOM study."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from engine.errors import LoadError
from engine.io import load_study
from engine.synth.dataset import write_dataset
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.types import Image, Volume


def gray(seed: int, shape: tuple[int, int] = (32, 40)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def study_dicom(path: Path, study: str, pixels: np.ndarray, **tags: object) -> None:
    """An ultrasound DICOM in `study`; tags set to None are removed."""
    write_ultrasound_dicom(path, pixels, 0.1, (2, 2, 30, 38))
    ds = pydicom.dcmread(path)
    ds.StudyInstanceUID, ds.StudyID = study, "1"
    for keyword, value in tags.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    ds.save_as(path)


def test_folder_of_files_named_by_view(tmp_path: Path) -> None:
    posterior, anterior = gray(1), gray(2)
    PILImage.fromarray(posterior).save(tmp_path / "posterior.png")
    PILImage.fromarray(anterior).save(tmp_path / "anterior.png")
    study = load_study(tmp_path)
    assert list(study.views) == ["anterior", "posterior"]  # reading order, not file order
    assert study.case_id == tmp_path.name
    np.testing.assert_array_equal(study.views["anterior"].pixels, anterior)
    np.testing.assert_array_equal(study.views["posterior"].pixels, posterior)


def test_folder_of_case_view_files(tmp_path: Path) -> None:
    us, clinical = gray(3), np.stack([gray(4), gray(5), gray(6)], axis=-1)
    PILImage.fromarray(clinical).save(tmp_path / "c07_clinical.png")
    PILImage.fromarray(us).save(tmp_path / "c07_us.png")
    study = load_study(tmp_path)
    assert study.case_id == "c07" and list(study.views) == ["us", "clinical"]
    np.testing.assert_array_equal(study.views["clinical"].pixels, clinical)


def test_one_case_of_a_scinti_data_set(tmp_path: Path) -> None:
    root = write_dataset("scinti", 2, tmp_path / "ds", seed=0)
    with (root / "views.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    case = rows[-1]["case"]
    study = load_study(root, case=case)
    expected = {r["view"]: r["file"] for r in rows if r["case"] == case}
    assert study.case_id == case
    assert list(study.views) == list(expected) == ["anterior", "posterior"]
    for view, file in expected.items():
        np.testing.assert_array_equal(
            study.views[view].pixels, np.asarray(PILImage.open(root / file))
        )
    with (root / "meta.csv").open() as fh:
        spacing = float(next(r for r in csv.DictReader(fh) if r["case"] == case)["spacing_mm"])
    assert study.views["anterior"].spacing_mm == study.views["posterior"].spacing_mm
    assert study.views["anterior"].spacing_mm == pytest.approx((spacing, spacing))
    with pytest.raises(LoadError, match="2 cases"):
        load_study(root)
    with pytest.raises(LoadError, match="no case 'nope'"):
        load_study(root, case="nope")


def test_skin_pair_views_get_their_own_pixel_size_from_meta(tmp_path: Path) -> None:
    root = write_dataset("skin-pair", 1, tmp_path / "ds", seed=0)
    with (root / "meta.csv").open() as fh:
        meta = next(csv.DictReader(fh))
    study = load_study(root)
    for view in ("photo", "us"):
        expected = float(meta[f"{view}_spacing_mm"])
        assert study.views[view].spacing_mm == pytest.approx((expected, expected))


def test_a_folder_of_view_files_takes_its_pixel_size_from_meta(tmp_path: Path) -> None:
    folder = tmp_path / "lesion7"
    folder.mkdir()
    for view in ("photo", "us"):
        PILImage.fromarray(np.zeros((8, 10), np.uint8)).save(folder / f"{view}.png")
    (folder / "meta.csv").write_text("photo_spacing_mm,us_spacing_mm\n0.2,0.05\n")
    study = load_study(folder)  # one row without a case column: it is this case's
    assert study.views["photo"].spacing_mm == (0.2, 0.2)
    assert study.views["us"].spacing_mm == (0.05, 0.05)
    (folder / "meta.csv").write_text("case,spacing_mm\nother,0.3\n")
    assert load_study(folder).views["us"].spacing_mm is None  # another case's row: not used


def test_dicom_study_names_views_from_tags(tmp_path: Path) -> None:
    uid = generate_uid()
    pixels = [gray(5), gray(6), gray(7)]
    study_dicom(tmp_path / "1.dcm", uid, pixels[0], ViewPosition="ANT")
    study_dicom(tmp_path / "2.dcm", uid, pixels[1], ViewPosition="POST", ImageLaterality="L")
    study_dicom(tmp_path / "3.dcm", uid, pixels[2], Modality=None)
    study = load_study(tmp_path)
    assert list(study.views) == ["anterior", "posterior_left", "view3"]
    assert study.metadata["StudyInstanceUID"] == uid
    for view, expected in zip(study.views.values(), pixels, strict=True):
        assert isinstance(view, Image) and view.spacing_mm == pytest.approx((0.1, 0.1))
        np.testing.assert_array_equal(view.pixels, expected)


def test_dicom_study_named_by_description_or_modality(tmp_path: Path) -> None:
    uid = generate_uid()
    study_dicom(tmp_path / "a", uid, gray(8), SeriesDescription="Clinical photo")
    study_dicom(tmp_path / "b", uid, gray(9))
    assert list(load_study(tmp_path).views) == ["clinical_photo", "us"]


def test_dicom_folder_with_two_studies_is_refused(tmp_path: Path) -> None:
    study_dicom(tmp_path / "a.dcm", generate_uid(), gray(1), ViewPosition="ANT")
    study_dicom(tmp_path / "b.dcm", generate_uid(), gray(2), ViewPosition="POST")
    with pytest.raises(LoadError, match="2 DICOM studies"):
        load_study(tmp_path)


def test_study_from_a_dicomdir(tmp_path: Path) -> None:
    uid, src = generate_uid(), tmp_path / "src"
    src.mkdir()
    study_dicom(src / "a.dcm", uid, gray(1), ViewPosition="ANT", PatientID="P1")
    study_dicom(src / "b.dcm", uid, gray(2), ViewPosition="POST", PatientID="P1")
    fileset = FileSet()
    for name in ("a", "b"):
        fileset.add(src / f"{name}.dcm")
    fileset.write(tmp_path / "cd")
    study = load_study(tmp_path / "cd" / "DICOMDIR")
    assert sorted(study.views) == ["anterior", "posterior"]
    np.testing.assert_array_equal(study.views["anterior"].pixels, gray(1))
    assert study.metadata["PatientID"] == "P1"


def test_empty_or_unknown_layout_raises(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="empty"):
        load_study(tmp_path)
    PILImage.fromarray(gray(1)).save(tmp_path / "holiday.png")
    with pytest.raises(LoadError, match="unknown study layout"):
        load_study(tmp_path)
    with pytest.raises(LoadError, match="not found"):
        load_study(tmp_path / "missing")


def test_dicomdir_study_with_a_ct_series_and_two_stills_of_one_series(
    tmp_path: Path,
    dcm,  # noqa: ANN001
) -> None:
    uid, stills, ct_series = generate_uid(), generate_uid(), generate_uid()
    src = tmp_path / "src"
    src.mkdir()
    for k in (2, 0, 1):  # file order is not slice order
        ds = dcm.build(
            np.full((6, 7), 10 * k, dtype=np.int16),
            StudyInstanceUID=uid,
            SeriesInstanceUID=ct_series,
            StudyID="1",
            SeriesNumber=2,
            StudyDate="20200101",
            StudyTime="120000",
            PatientName="SYN",
            PatientID="P1",
            Modality="CT",
            SeriesDescription="Neck CT",
            PixelSpacing=[0.5, 0.5],
            ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
            ImagePositionPatient=[0, 0, 3.0 * k],
            InstanceNumber=k + 1,
        )
        dcm.save(ds, src / f"ct{k}.dcm")
    study_dicom(src / "us1.dcm", uid, gray(1), SeriesInstanceUID=stills, PatientID="P1")
    study_dicom(src / "us2.dcm", uid, gray(2), SeriesInstanceUID=stills, PatientID="P1")
    with pytest.raises(LoadError, match="shares this folder"):
        load_study(src)  # read_series reads whole folders: the CT needs a folder of its own
    fileset = FileSet()
    for file in sorted(src.iterdir()):
        fileset.add(file)
    fileset.write(tmp_path / "cd")
    study = load_study(tmp_path / "cd")
    assert sorted(study.views) == ["neck_ct", "us", "us_2"]
    ct = study.views["neck_ct"]
    assert isinstance(ct, Volume) and ct.spacing_mm == pytest.approx((3.0, 0.5, 0.5))
    np.testing.assert_array_equal(ct.voxels[:, 0, 0], [0, 10, 20])
    stills_pixels = sorted(study.views[v].pixels.tobytes() for v in ("us", "us_2"))
    assert stills_pixels == sorted(g.tobytes() for g in (gray(1), gray(2)))


def test_a_bad_views_or_meta_table_is_a_load_error_naming_the_table(tmp_path: Path) -> None:
    """views.csv and meta.csv are parsed by engine.datasets; the GUI and the CLI still get
    the LoadError (file, reason) they show for a study that cannot be loaded."""
    root = write_dataset("scinti", 1, tmp_path / "ds", seed=0)
    study = load_study(root)  # the untouched folder loads
    assert list(study.views) == ["anterior", "posterior"]
    meta = root / "meta.csv"
    meta.write_bytes("case,spacing_mm\n".encode("utf-16"))
    with pytest.raises(LoadError, match="cannot be read") as caught:
        load_study(root)
    assert caught.value.path == meta
    meta.unlink()
    views = root / "views.csv"
    views.write_text("case,view\nc1,anterior\n", encoding="utf-8")
    with pytest.raises(LoadError, match="needs the column\\(s\\) file") as caught:
        load_study(root)
    assert caught.value.path == views
