"""Label maps (and CT voxels) as NIfTI on the grid of the CT they belong to. Qt-free.

One rule for the viewer's `labels/<stem>.labels.nii.gz` beside a CT and for the datastore's
volume cases (engine.datastore.volumes): written with the CT's own affine, so any NIfTI
viewer (ITK-SNAP, 3D Slicer) overlays them, and gzip without a time stamp, so the same
labels give the same bytes (and the same sha256 in the datastore's index). A label map of
another grid is refused with the reason, never resampled: a resampled correction would no
longer be the voxels the reader painted.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.errors import LoadError
from engine.io.nifti import read_nifti
from engine.types import Volume

RAS_FROM_LPS = np.array([-1.0, -1.0, 1.0])
SPACING_RTOL = 1e-3


def volume_affine(volume: Volume) -> np.ndarray:
    """The NIfTI (RAS) affine of a Volume: the inverse of what engine.io.read_nifti does."""
    sz, sy, sx = volume.spacing_mm
    row_dir = np.asarray(volume.orientation[:3], dtype=np.float64)
    col_dir = np.asarray(volume.orientation[3:], dtype=np.float64)
    normal = np.asarray(volume.slice_normal, dtype=np.float64)
    affine = np.eye(4)
    affine[:3, 0] = row_dir * sx * RAS_FROM_LPS
    affine[:3, 1] = col_dir * sy * RAS_FROM_LPS
    affine[:3, 2] = normal * sz * RAS_FROM_LPS
    affine[:3, 3] = np.asarray(volume.origin, dtype=np.float64) * RAS_FROM_LPS
    return affine


def nifti_bytes(array: np.ndarray, volume: Volume, description: str = "") -> bytes:
    """A (z, y, x) array on `volume`'s grid as gzipped NIfTI-1 bytes (deterministic)."""
    import nibabel as nib

    if array.shape != volume.voxels.shape:
        raise ValueError(f"array {array.shape} does not match the volume {volume.voxels.shape}")
    data = np.ascontiguousarray(np.asarray(array).transpose(2, 1, 0))
    image = nib.Nifti1Image(data, volume_affine(volume))
    image.header.set_xyzt_units("mm")
    image.header.set_qform(image.affine, code=1)
    image.header.set_sform(image.affine, code=1)
    image.header["descrip"] = description[:79].encode("ascii", "replace")
    return gzip.compress(image.to_bytes(), compresslevel=6, mtime=0)


def label_bytes(labels: np.ndarray, volume: Volume, label_names: Sequence[str] = ()) -> bytes:
    """uint8 labels (z, y, x) as gzipped NIfTI-1 on the volume's grid; names in `descrip`."""
    if labels.shape != volume.voxels.shape:
        raise ValueError(f"labels {labels.shape} do not match the volume {volume.voxels.shape}")
    uint8 = np.asarray(labels, dtype=np.uint8)
    return nifti_bytes(uint8, volume, "labels: " + ",".join(label_names))


def grid_mismatch(shape: Sequence[int], spacing_mm: Sequence[float], volume: Volume) -> str | None:
    """Why a label map of this shape and voxel size does not fit the CT, or None."""
    if tuple(int(n) for n in shape) != tuple(volume.voxels.shape):
        return f"labels are {tuple(shape)[::-1]} voxels, the CT is {volume.voxels.shape[::-1]}"
    if not np.allclose(spacing_mm, volume.spacing_mm, rtol=SPACING_RTOL):
        return f"voxel size {tuple(spacing_mm)} differs from the CT's"
    return None


def label_values(data: np.ndarray, n_labels: int) -> np.ndarray | None:
    """The label map as uint8 when every value is a whole number in 0..n_labels-1."""
    rounded = np.rint(data)
    if not np.array_equal(rounded, data) or rounded.min() < 0 or rounded.max() >= n_labels:
        return None
    return rounded.astype(np.uint8)


def read_label_map(path: str | Path, volume: Volume, n_labels: int) -> np.ndarray:
    """A label NIfTI for this volume, as uint8 (z, y, x); LoadError when it does not fit."""
    labels_volume = read_nifti(path)
    why = grid_mismatch(labels_volume.voxels.shape, labels_volume.spacing_mm, volume)
    if why is not None:
        raise LoadError(path, why)
    values = label_values(labels_volume.voxels, n_labels)
    if values is None:
        raise LoadError(path, f"not a label map with values 0..{n_labels - 1}")
    return values
