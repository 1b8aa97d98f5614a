"""A CT plane as Smart Click sees it.

The interactive model reads grey images through a percentile window (engine.preprocess);
a raw HU slice would spend that window on air and bone. So a CT plane is first put through
a fixed soft-tissue window (level 40 HU, width 400 HU, the window kidney tumours and most
abdominal lesions are read in), independent of the window the reader has set on screen:
the same slice always gives the same outline. Training (training.recipes.interactive) and
the CT page use this one function.
"""

from __future__ import annotations

import numpy as np

from engine.errors import ImageError

SOFT_TISSUE_LEVEL_HU = 40.0
SOFT_TISSUE_WIDTH_HU = 400.0


def soft_tissue_slice(hu: np.ndarray) -> np.ndarray:
    """An H×W slice in Hounsfield units -> float32 in [0, 1] under the soft-tissue window."""
    hu = np.asarray(hu, dtype=np.float32)
    if hu.ndim != 2 or min(hu.shape) == 0:
        raise ImageError(f"a CT plane must be one H×W slice, not shape {tuple(hu.shape)}")
    low = SOFT_TISSUE_LEVEL_HU - SOFT_TISSUE_WIDTH_HU / 2
    out = (hu - low) / SOFT_TISSUE_WIDTH_HU
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0).astype(np.float32)
