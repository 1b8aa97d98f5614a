"""Masks on disk: 8-bit PNG, 0 background and 255 lesion (the canonical folder format)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.datastore.errors import DatastoreError


def binary_mask(mask: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    """The mask as bool, after checking it is 2D and the size of the case's image."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise DatastoreError(f"{what}: a mask must be 2D, got shape {array.shape}")
    if tuple(array.shape) != tuple(shape):
        raise DatastoreError(
            f"{what}: mask is {array.shape[0]}x{array.shape[1]}, image is {shape[0]}x{shape[1]}"
        )
    return array > 0


def png_bytes(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.where(mask, 255, 0).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    return sha256_of(path.read_bytes())


def read_mask(path: Path) -> np.ndarray:
    try:
        with PILImage.open(path) as pil:
            return np.asarray(pil.convert("L")) > 0
    except (OSError, ValueError) as exc:
        raise DatastoreError(f"{path}: mask cannot be read ({exc})") from exc
