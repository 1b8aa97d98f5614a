"""Lazy pixel access for indexed cases: one file at a time, typed errors, masks merged.

2D files go through engine.io.load_image (PNG/JPEG/TIFF/BMP/DICOM); NIfTI volumes through
nibabel and come back as (z, y, x) arrays: the stored (x, y, z) order reversed, not
reoriented, so an image and its label volume always line up voxel for voxel (for a Volume
with direction cosines use engine.io's NIfTI reader).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.datasets.cases import View
from engine.datasets.files import is_volume
from engine.errors import LoadError
from engine.io.limits import check_decoded_size
from engine.io.nifti import check_voxel_bytes


def read_array(path: Path) -> np.ndarray:
    """Pixels of an image or mask file: H×W, H×W×3, or a (z, y, x) volume."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(path, "file not found")
    if is_volume(path):
        return _read_volume(path)
    from engine.io import load_image

    return np.asarray(load_image(path).pixels)


def _read_volume(path: Path) -> np.ndarray:
    import nibabel as nib

    try:
        image = nib.load(str(path))
        shape = tuple(int(n) for n in image.shape)
        if len(shape) >= 2:  # before nibabel allocates: a .nii.gz is read into one buffer
            bits = 8 * np.dtype(image.get_data_dtype()).itemsize
            depth = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
            check_decoded_size(path, shape[1], shape[0], depth, 1, bits)
        check_voxel_bytes(path, image)
        data = np.asarray(image.dataobj)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types on broken files
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LoadError(path, f"not a readable NIfTI file ({reason})") from exc
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise LoadError(path, f"expected a 3D volume, found {data.ndim} dimensions")
    return data.transpose(2, 1, 0)


def mask_labels(array: np.ndarray) -> np.ndarray:
    """A mask file as uint8 label ids: 255 (the 0/255 convention) -> 1; colour -> any channel."""
    if array.ndim == 3 and array.shape[-1] in (3, 4) and array.dtype == np.uint8:
        array = array[..., :3].max(axis=-1)
    labels = np.asarray(array)
    if labels.dtype.kind == "f":
        labels = np.rint(labels)
    labels = np.where(labels == 255, 1, labels)
    return np.clip(labels, 0, 255).astype(np.uint8)


def read_mask(view: View | Sequence[Path]) -> np.ndarray:
    """The view's mask as label ids; several mask files (BUSI) are merged (OR / maximum)."""
    paths = view.masks if isinstance(view, View) else tuple(view)
    if not paths:
        raise LoadError(Path("."), "the view has no mask file")
    merged: np.ndarray | None = None
    for path in paths:
        labels = mask_labels(read_array(path))
        if merged is not None and labels.shape != merged.shape:
            raise LoadError(path, f"mask is {labels.shape}, the first mask is {merged.shape}")
        merged = labels if merged is None else np.maximum(merged, labels)
    assert merged is not None
    return merged


def read_image(view: View) -> np.ndarray:
    if view.image is None:
        raise LoadError(Path("."), f"view {view.name!r} has no image file")
    return read_array(view.image)
