"""PNG/JPEG/TIFF/BMP through Pillow. These carry no calibration: measurements stay in px."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from engine.errors import LoadError
from engine.io.limits import MAX_SIDE
from engine.types import Image

RASTER_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}


def read_raster(path: str | Path) -> Image:
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(path) as pil:
                width, height = pil.size
                if width > MAX_SIDE or height > MAX_SIDE:
                    raise LoadError(path, f"image is {width}x{height}, larger than {MAX_SIDE}")
                pil.load()
                pixels, photometric = _to_array(pil)
    except LoadError:
        raise
    except UnidentifiedImageError as exc:
        raise LoadError(path, "not a recognised image format") from exc
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        raise LoadError(path, f"image data is corrupt or truncated ({exc})") from exc
    except MemoryError as exc:  # a chunk length of gigabytes in a small file (Pillow reads it)
        raise LoadError(
            path, "image data is corrupt (a chunk claims more bytes than exist)"
        ) from exc
    except PILImage.DecompressionBombWarning as exc:
        raise LoadError(path, f"image is too large to decode safely ({exc})") from exc
    return Image(pixels=pixels, photometric=photometric, spacing_mm=None, source=str(path))


def _to_array(pil: PILImage.Image) -> tuple[np.ndarray, str]:
    """Grayscale stays one channel (ultrasound is mostly gray); anything with colour is RGB."""
    mode = pil.mode
    if mode in {"L", "1"}:
        return np.asarray(pil.convert("L")), "MONOCHROME2"
    if mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        return np.asarray(pil), "MONOCHROME2"
    if mode == "LA":
        return np.asarray(pil.convert("L")), "MONOCHROME2"
    rgb = np.asarray(pil.convert("RGB"))
    if _is_gray_rgb(rgb):
        return np.ascontiguousarray(rgb[..., 0]), "MONOCHROME2"
    return rgb, "RGB"


def _is_gray_rgb(rgb: np.ndarray) -> bool:
    """Many scanners export B-mode as RGB with R=G=B; treat those as grayscale."""
    return bool(
        np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])
    )
