"""Label volumes to and from NIfTI, on the grid of the CT they belong to. Qt-free.

The corrected labels of `case.nii.gz` (or of a DICOM series folder `case/`) are kept in a
`labels/` folder beside it as `labels/case.labels.nii.gz` - a folder, so that Open Folder never
lists a label map as a case of its own - written atomically (engine.atomic) with the CT's own
affine, so any NIfTI viewer (ITK-SNAP, 3D Slicer) overlays them on the CT, and opening the CT
again brings them back. A label file of another grid is refused with the reason, never
resampled.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.atomic import write_bytes_atomic
from engine.errors import LoadError
from engine.io import read_nifti
from engine.io.nifti import NIFTI_SUFFIXES
from engine.types import Volume

LABELS_SUFFIX = ".labels.nii.gz"
LABELS_FOLDER = "labels"
RAS_FROM_LPS = np.array([-1.0, -1.0, 1.0])


def labels_path_for(volume_path: str | Path) -> Path:
    """Where the labels of a CT file or series folder live: `labels/<stem>.labels.nii.gz`."""
    path = Path(volume_path)
    name = path.name
    for suffix in (*NIFTI_SUFFIXES, ".dcm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.parent / LABELS_FOLDER / (name + LABELS_SUFFIX)


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


def write_labels(
    path: str | Path, labels: np.ndarray, volume: Volume, label_names: Sequence[str] = ()
) -> Path:
    """uint8 labels (z, y, x) as gzipped NIfTI-1 on the volume's grid; names in `descrip`."""
    import nibabel as nib

    if labels.shape != volume.voxels.shape:
        raise ValueError(f"labels {labels.shape} do not match the volume {volume.voxels.shape}")
    data = np.ascontiguousarray(np.asarray(labels, dtype=np.uint8).transpose(2, 1, 0))
    image = nib.Nifti1Image(data, volume_affine(volume))
    image.header.set_xyzt_units("mm")
    image.header.set_qform(image.affine, code=1)
    image.header.set_sform(image.affine, code=1)
    image.header["descrip"] = ("labels: " + ",".join(label_names))[:79].encode("ascii", "replace")
    return write_bytes_atomic(path, gzip.compress(image.to_bytes(), compresslevel=6, mtime=0))


def read_labels(path: str | Path, volume: Volume, n_labels: int) -> np.ndarray:
    """A label NIfTI for this volume, as uint8 (z, y, x); LoadError when it does not fit."""
    labels_volume = read_nifti(path)
    data = labels_volume.voxels
    if data.shape != volume.voxels.shape:
        raise LoadError(
            path, f"labels are {data.shape[::-1]} voxels, the CT is {volume.voxels.shape[::-1]}"
        )
    if not np.allclose(labels_volume.spacing_mm, volume.spacing_mm, rtol=1e-3):
        raise LoadError(path, f"voxel size {labels_volume.spacing_mm} differs from the CT's")
    rounded = np.rint(data)
    if not np.array_equal(rounded, data) or rounded.min() < 0 or rounded.max() >= n_labels:
        raise LoadError(path, f"not a label map with values 0..{n_labels - 1}")
    return rounded.astype(np.uint8)
