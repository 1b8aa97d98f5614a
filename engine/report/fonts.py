"""The report typeface: DejaVu Sans, shipped inside matplotlib (already a dependency).

One Unicode font for the PDF and the key images, so names with accents or non-Latin
letters print as written instead of as boxes (the PDF core fonts are Latin-1 only).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def font_path(bold: bool = False) -> Path:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
