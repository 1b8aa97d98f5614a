"""Active learning: which uncorrected case would teach the model most if corrected next.

Two signals the inference engine already computes: how much the class probability moves
under test-time augmentation (spread), and how unsure the segmentation is around the lesion
(mean binary entropy of the lesion probability in the predicted lesion plus a thin ring,
where boundary errors live). A case where the model finds no lesion at all is put first:
every case in the datastore was imported because it shows one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

RING_PX = 2
NO_LESION_BONUS = 1.0


@dataclass(frozen=True)
class Usefulness:
    case_id: str
    score: float
    spread: float  # TTA standard deviation of the predicted class probability
    entropy: float  # mean pixel entropy (bits) in the predicted lesion and its ring
    no_lesion: bool
    heldout: bool = False
    model_id: str = ""


def usefulness_score(
    mask: np.ndarray, uncertainty: np.ndarray, spread: float
) -> tuple[float, float, bool]:
    """(score, entropy, no_lesion) for one prediction; higher = more useful to correct."""
    lesion = np.asarray(mask) > 0
    entropy_map = np.asarray(uncertainty, dtype=np.float64)
    if lesion.any():
        region = ndimage.binary_dilation(lesion, iterations=RING_PX)
        entropy = float(entropy_map[region].mean())
        return float(spread) + entropy, entropy, False
    entropy = float(entropy_map.mean()) if entropy_map.size else 0.0
    return NO_LESION_BONUS + float(spread) + entropy, entropy, True
