"""Volumes: DICOM series sorted by position, enhanced multi-frame, NIfTI, and load_any."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, generate_uid

from engine.errors import LoadError
from engine.io import load_any, read_enhanced_volume, read_nifti, read_series
from engine.types import Image, Volume

ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
# an oblique plane: rows run along (cos, sin, 0), columns along z
ROW_DIR = np.array([np.cos(0.3), np.sin(0.3), 0.0])
COL_DIR = np.array([0.0, 0.0, -1.0])
NORMAL = np.cross(ROW_DIR, COL_DIR)
ORIGIN = np.array([-50.0, 20.0, 100.0])


def _slice_values(k: int) -> np.ndarray:
    """Slice k of the true volume: every voxel says which slice it is."""
    return (np.arange(6 * 7).reshape(6, 7) + 100 * k).astype(np.int16)


def _write_series(tmp: Path, dcm, count: int = 5, spacing: float = 2.5, series: str = "") -> Path:  # noqa: ANN001
    folder = tmp / "series"
    folder.mkdir(exist_ok=True)
    uid = series or generate_uid()
    order = [3, 0, 4, 1, 2] + list(range(5, count))
    for file_number, k in enumerate(order[:count]):
        ds = dcm.build(
            _slice_values(k),
            SOPClassUID=CTImageStorage,
            RescaleSlope=1,
            RescaleIntercept=-1000,
            PixelSpacing=[0.6, 0.7],
            ImageOrientationPatient=[*ROW_DIR, *COL_DIR],
            ImagePositionPatient=list(ORIGIN + NORMAL * spacing * k),
            InstanceNumber=count - k,  # reversed on purpose: positions must win
            SeriesInstanceUID=uid,
            WindowCenter=40,
            WindowWidth=400,
        )
        ds.Modality = "CT"
        dcm.save(ds, folder / f"IM{file_number:04d}.dcm")  # file names in yet another order
    return folder


def test_series_is_sorted_by_position_with_spacing_from_positions(dcm) -> None:  # noqa: ANN001
    folder = _write_series(dcm.tmp, dcm)
    (folder / "notes.txt").write_text("not a slice")
    volume = read_series(folder)
    assert volume.voxels.shape == (5, 6, 7)
    for k in range(5):
        np.testing.assert_array_equal(volume.voxels[k], _slice_values(k).astype(int) - 1000)
    assert volume.spacing_mm == pytest.approx((2.5, 0.6, 0.7))
    assert volume.orientation == pytest.approx((*ROW_DIR, *COL_DIR))
    assert volume.origin == pytest.approx(tuple(ORIGIN))
    assert volume.slice_normal == pytest.approx(tuple(NORMAL))
    assert volume.window_presets[0][1:] == (40.0, 400.0)
    assert isinstance(load_any(folder), Volume)
    assert isinstance(volume.slice_image(2), Image)


def test_missing_slice_is_refused(dcm) -> None:  # noqa: ANN001
    folder = _write_series(dcm.tmp, dcm)
    files = sorted(folder.iterdir())
    files[0].unlink()  # IM0000 is slice k=3: the middle of the stack
    with pytest.raises(LoadError, match="unevenly spaced"):
        read_series(folder)


def test_inconsistent_slices_are_refused(dcm) -> None:  # noqa: ANN001
    folder = _write_series(dcm.tmp, dcm)
    odd = dcm.build(np.zeros((8, 7), np.int16), ImagePositionPatient=[0, 0, 0])
    odd.ImageOrientationPatient = [*ROW_DIR, *COL_DIR]
    odd.SeriesInstanceUID = dcm.build(np.zeros((1, 1), np.int16)).SOPInstanceUID
    dcm.save(odd, folder / "other_series.dcm")
    with pytest.raises(LoadError, match="2 series"):
        read_series(folder)


def _enhanced_ct(dcm, count: int = 4) -> Path:  # noqa: ANN001
    order = [2, 0, 3, 1]  # frames stored out of anatomical order
    frames = np.stack([_slice_values(k) for k in order])
    ds = dcm.build(frames, SOPClassUID=ENHANCED_CT)
    ds.Modality = "CT"
    shared = Dataset()
    measures, orientation = Dataset(), Dataset()
    measures.PixelSpacing, measures.SliceThickness = [0.5, 0.5], 1.0
    orientation.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PlaneOrientationSequence = Sequence([orientation])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for k in order:
        group, position, transform = Dataset(), Dataset(), Dataset()
        position.ImagePositionPatient = [0.0, 0.0, -20.0 + 3.0 * k]
        transform.RescaleSlope, transform.RescaleIntercept = 2, -1024 + k  # per frame
        group.PlanePositionSequence = Sequence([position])
        group.PixelValueTransformationSequence = Sequence([transform])
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    return dcm.save(ds, dcm.tmp / "enhanced.dcm")


def test_enhanced_multiframe_ct(dcm) -> None:  # noqa: ANN001
    path = _enhanced_ct(dcm)
    volume = read_enhanced_volume(path)
    assert volume.voxels.shape == (4, 6, 7)
    for k in range(4):
        np.testing.assert_array_equal(volume.voxels[k], _slice_values(k) * 2 - 1024 + k)
    assert volume.spacing_mm == pytest.approx((3.0, 0.5, 0.5))
    assert volume.origin == pytest.approx((0.0, 0.0, -20.0))
    assert isinstance(load_any(path), Volume)


@pytest.mark.parametrize("name", ["vol.nii", "vol.nii.gz"])
def test_nifti_spacing_orientation_and_slice_order(dcm, name: str) -> None:  # noqa: ANN001
    nib = pytest.importorskip("nibabel")
    data = np.zeros((7, 6, 4), np.int16)  # (i, j, k)
    for k in range(4):
        data[..., k] = _slice_values(k).T  # voxel (i, j) = slice value at row j, col i
    affine = np.diag([0.8, 0.9, -2.0, 1.0])  # k runs towards inferior: slices must flip
    affine[:3, 3] = [10.0, 20.0, 30.0]
    path = dcm.tmp / name
    nib.save(nib.Nifti1Image(data, affine), str(path))
    volume = read_nifti(path)
    assert volume.spacing_mm == pytest.approx((2.0, 0.9, 0.8))
    # RAS +x/+y become LPS -x/-y
    assert volume.orientation == pytest.approx((-1, 0, 0, 0, -1, 0))
    assert volume.slice_normal == pytest.approx((0, 0, 1))
    # ordered along the normal (+z): the NIfTI's last slice (lowest z) comes first
    for position, k in enumerate([3, 2, 1, 0]):
        np.testing.assert_array_equal(volume.voxels[position], _slice_values(k))
    assert volume.origin == pytest.approx((-10.0, -20.0, 30.0 - 2.0 * 3))
    assert isinstance(load_any(path), Volume)


def test_nifti_scaling_and_corrupt_file(dcm) -> None:  # noqa: ANN001
    nib = pytest.importorskip("nibabel")
    img = nib.Nifti1Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4))
    img.header.set_slope_inter(0.5, -3)
    nib.save(img, str(dcm.tmp / "scaled.nii"))
    volume = read_nifti(dcm.tmp / "scaled.nii")
    assert volume.voxels[0, 0, 1] == pytest.approx(12 * 0.5 - 3)  # voxel i=1, j=0, k=0 is 12
    assert volume.voxels[3, 2, 1] == pytest.approx(23 * 0.5 - 3)
    (dcm.tmp / "bad.nii").write_bytes(b"\x00" * 100)
    with pytest.raises(LoadError, match="bad.nii"):
        read_nifti(dcm.tmp / "bad.nii")
