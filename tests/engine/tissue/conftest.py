"""Shared helpers for the tissue-area tests: real vendor files (pydicom-data) and overlap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def vendor_file(name: str) -> Path:
    """A file of pydicom-data (installed by the test extra). Missing is a failure, not a skip:
    the tests on real screens are the point of this package."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    assert path is not None, f"pydicom-data has no {name}: install the test extra"
    return Path(path)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture
def tissue_kit():  # noqa: ANN201 - a namespace of the helpers above
    from types import SimpleNamespace

    return SimpleNamespace(vendor_file=vendor_file, iou=iou)
