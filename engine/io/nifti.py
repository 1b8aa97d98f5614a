"""NIfTI-1/2 (.nii, .nii.gz) through nibabel, turned into the same Volume as a DICOM series.

NIfTI stores voxel (i, j, k) with an affine to RAS millimetres; a Volume is slice-first
(k, j, i) with DICOM's LPS direction cosines, ordered along the slice normal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import LoadError
from engine.io.limits import check_decoded_size
from engine.types import Volume

NIFTI_SUFFIXES = (".nii", ".nii.gz")
RAS_TO_LPS = np.array([-1.0, -1.0, 1.0])


def is_nifti_name(path: str | Path) -> bool:
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def read_nifti(path: str | Path) -> Volume:
    """3D volume (the first time point of a 4D one), values after scl_slope/scl_inter."""
    import nibabel as nib

    path = Path(path)
    try:
        img = nib.load(str(path))
        shape = tuple(int(n) for n in img.shape)
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types on broken headers
        raise LoadError(path, f"not a readable NIfTI file ({_first_line(exc)})") from exc
    if not shape or min(shape) < 1:
        raise LoadError(path, f"NIfTI header gives no voxels (dimensions {shape})")
    if len(shape) < 3:
        shape = shape + (1,) * (3 - len(shape))
    if len(shape) > 4 or (len(shape) == 4 and shape[3] < 1):
        raise LoadError(path, f"NIfTI has {len(shape)} dimensions; expected 3 or 4")
    nx, ny, nz = shape[:3]
    check_decoded_size(path, ny, nx, nz, 1, 32)
    check_voxel_bytes(path, img)
    try:
        data = np.asanyarray(img.dataobj[..., 0] if len(shape) == 4 else img.dataobj)
    except Exception as exc:  # noqa: BLE001 - as above, for the voxel data
        raise LoadError(
            path, f"NIfTI voxel data is truncated or corrupt ({_first_line(exc)})"
        ) from exc
    if data.size != nx * ny * nz:
        raise LoadError(path, f"NIfTI holds {data.size} voxels, its header says {nx}x{ny}x{nz}")
    data = data.reshape(nx, ny, nz)
    if data.dtype == np.float64:
        data = data.astype(np.float32)
    affine = np.asarray(img.affine, dtype=np.float64)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    if np.any(zooms <= 0):
        raise LoadError(path, "NIfTI affine has a zero voxel size")
    row_dir = affine[:3, 0] / zooms[0] * RAS_TO_LPS  # along i: increasing column
    col_dir = affine[:3, 1] / zooms[1] * RAS_TO_LPS  # along j: increasing row
    slice_dir = affine[:3, 2] / zooms[2] * RAS_TO_LPS
    origin = affine[:3, 3] * RAS_TO_LPS
    voxels = np.ascontiguousarray(np.transpose(data, (2, 1, 0)))
    if float(np.cross(row_dir, col_dir) @ slice_dir) < 0:
        voxels = np.ascontiguousarray(voxels[::-1])  # order slices along the normal
        origin = origin + slice_dir * zooms[2] * (nz - 1)
    metadata = {"Format": "NIfTI", "Description": _description(img)}
    if len(shape) == 4:
        metadata["TimePoints"] = str(shape[3])
    return Volume(
        voxels=voxels,
        spacing_mm=(float(zooms[2]), float(zooms[1]), float(zooms[0])),
        orientation=tuple(float(v) for v in (*row_dir, *col_dir)),  # type: ignore[arg-type]
        origin=tuple(float(v) for v in origin),  # type: ignore[arg-type]
        source=str(path),
        metadata=metadata,
    )


def check_voxel_bytes(path: Path, img: object) -> None:
    """An uncompressed NIfTI must hold the voxels its header promises. Checked before nibabel
    reads them: when it cannot map a short file it allocates the whole stated size first and
    only then finds the file short (a 1 KB file could take 2 GB)."""
    if str(path).lower().endswith(".gz"):
        return  # the stated size is capped by check_decoded_size; gzip hides the real one
    try:
        header = img.header  # type: ignore[attr-defined]
        itemsize = np.dtype(header.get_data_dtype()).itemsize
        voxels = int(np.prod([int(n) for n in img.shape], dtype=np.int64))  # type: ignore[attr-defined]
        needed = int(header.get_data_offset()) + voxels * itemsize
        size = path.stat().st_size
    except Exception as exc:  # noqa: BLE001 - a header nibabel read but cannot describe
        raise LoadError(path, f"not a readable NIfTI file ({_first_line(exc)})") from exc
    if size < needed:
        raise LoadError(
            path,
            f"NIfTI voxel data is truncated: the header needs {needed} bytes, the file has {size}",
        )


def _description(img: object) -> str:
    header = getattr(img, "header", None)
    try:
        raw = header["descrip"] if header is not None else b""
        return bytes(np.asarray(raw).item()).decode("latin-1").strip("\x00 ")
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
