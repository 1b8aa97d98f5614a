"""Write a (z, y, x) volume as a gzipped NIfTI-1 file, byte-identical for identical input."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np

from engine.atomic import write_bytes_atomic


def volume_affine(spacing_zyx: tuple[float, float, float]) -> np.ndarray:
    """RAS+ affine for arrays stored (x, y, z) with x running to the patient's left, y to the
    back and z upwards: the orientation of a CT read from DICOM (LPS) by dcm2niix/nibabel."""
    sz, sy, sx = spacing_zyx
    return np.diag([-sx, -sy, sz, 1.0])


def write_nifti(
    path: str | Path, volume_zyx: np.ndarray, spacing_zyx: tuple[float, float, float]
) -> Path:
    """NIfTI stores the first array axis as x, so the (z, y, x) array is transposed on write.

    gzip gets mtime=0: the same volume gives the same bytes (deterministic data sets).
    """
    data = np.ascontiguousarray(np.asarray(volume_zyx).transpose(2, 1, 0))
    image = nib.Nifti1Image(data, volume_affine(spacing_zyx))
    image.header.set_xyzt_units("mm")
    image.header.set_qform(image.affine, code=1)
    image.header.set_sform(image.affine, code=1)
    raw = image.to_bytes()
    return write_bytes_atomic(path, gzip.compress(raw, compresslevel=6, mtime=0))


def read_nifti_zyx(path: str | Path) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The inverse of write_nifti for our own files (tests, tools): (z, y, x) array, spacing."""
    image = nib.load(str(path))
    data = np.asarray(image.dataobj).transpose(2, 1, 0)
    sx, sy, sz = (float(v) for v in image.header.get_zooms()[:3])
    return data, (sz, sy, sx)
