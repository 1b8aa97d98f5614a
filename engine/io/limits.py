"""Size limits checked from headers, before any pixel buffer is allocated.

A larger "image" is a corrupt header or a decompression bomb, never a real scan.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import LoadError

MAX_SIDE = 20_000
MAX_DECODED_BYTES = 2 * 1024**3


def check_decoded_size(
    path: str | Path,
    rows: int,
    cols: int,
    frames: int = 1,
    samples: int = 1,
    bits_allocated: int = 8,
) -> int:
    """Raise LoadError when the decoded pixels would be absurd; return the decoded byte count."""
    if rows <= 0 or cols <= 0:
        raise LoadError(path, f"image has no size (Rows {rows}, Columns {cols})")
    if rows > MAX_SIDE or cols > MAX_SIDE:
        raise LoadError(path, f"image is {cols}x{rows}, larger than {MAX_SIDE}x{MAX_SIDE}")
    if frames < 1 or samples < 1 or bits_allocated < 1:
        raise LoadError(
            path,
            f"invalid header (frames {frames}, samples {samples}, bits {bits_allocated})",
        )
    decoded = rows * cols * frames * samples * max(1, (bits_allocated + 7) // 8)
    if decoded > MAX_DECODED_BYTES:
        raise LoadError(
            path,
            f"decoded pixels would take {decoded / 1024**3:.1f} GB "
            f"({frames} frame(s) of {cols}x{rows}x{samples}), larger than the 2 GB limit",
        )
    return decoded
