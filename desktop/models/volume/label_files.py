"""Label volumes to and from NIfTI, on the grid of the CT they belong to. Qt-free.

The corrected labels of `case.nii.gz` (or of a DICOM series folder `case/`) are kept in a
`labels/` folder beside it as `labels/case.labels.nii.gz` - a folder, so that Open Folder never
lists a label map as a case of its own - written atomically (engine.atomic) with the CT's own
affine, so any NIfTI viewer (ITK-SNAP, 3D Slicer) overlays them on the CT, and opening the CT
again brings them back. A label file of another grid is refused with the reason, never
resampled (engine.volume.label_maps holds the rule, shared with the datastore).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.atomic import write_bytes_atomic
from engine.io.nifti import NIFTI_SUFFIXES
from engine.types import Volume
from engine.volume.label_maps import label_bytes, read_label_map, volume_affine

LABELS_SUFFIX = ".labels.nii.gz"
LABELS_FOLDER = "labels"
__all__ = ["labels_path_for", "read_labels", "volume_affine", "write_labels"]


def labels_path_for(volume_path: str | Path) -> Path:
    """Where the labels of a CT file or series folder live: `labels/<stem>.labels.nii.gz`."""
    path = Path(volume_path)
    name = path.name
    for suffix in (*NIFTI_SUFFIXES, ".dcm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.parent / LABELS_FOLDER / (name + LABELS_SUFFIX)


def write_labels(
    path: str | Path, labels: np.ndarray, volume: Volume, label_names: Sequence[str] = ()
) -> Path:
    """uint8 labels (z, y, x) as gzipped NIfTI-1 on the volume's grid; names in `descrip`."""
    return write_bytes_atomic(path, label_bytes(labels, volume, label_names))


def read_labels(path: str | Path, volume: Volume, n_labels: int) -> np.ndarray:
    """A label NIfTI for this volume, as uint8 (z, y, x); LoadError when it does not fit."""
    return read_label_map(path, volume, n_labels)
