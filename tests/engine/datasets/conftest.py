"""Tiny data set folders written by the tests themselves."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image as PILImage


def save_png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(array).save(path)
    return path


def blob_mask(h: int, w: int, centre: tuple[int, int], radius: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2
    return (inside * 255).astype(np.uint8)


def gray(h: int = 32, w: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (h, w), dtype=np.uint8)


@pytest.fixture
def canonical_folder(tmp_path: Path) -> Path:
    """Four good single-view cases, two per class."""
    root = tmp_path / "canonical"
    rows = ["case,label"]
    for i, label in enumerate(("benign", "malignant", "benign", "malignant")):
        case = f"c{i}"
        save_png(root / "images" / f"{case}.png", gray(seed=i))
        save_png(root / "masks" / f"{case}.png", blob_mask(32, 40, (16, 20), 6 + i))
        rows.append(f"{case},{label}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture
def files() -> SimpleNamespace:
    """The builders above, for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(save_png=save_png, blob_mask=blob_mask, gray=gray)
