"""Fine-tune data loading: a case whose files cannot be read is one line and left out; the
other cases load (issue 22, item 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.datasets import load_dataset
from engine.errors import DatasetError
from training.data import load_cases, load_folder


@pytest.fixture
def folder(tmp_path: Path, node_png: Path) -> Path:
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    mask = np.zeros(PILImage.open(node_png).size[::-1], np.uint8)
    mask[30:60, 30:70] = 255
    for case in ("c1", "c2"):
        shutil.copy(node_png, root / "images" / f"{case}.png")
        PILImage.fromarray(mask).save(root / "masks" / f"{case}.png")
    (root / "images" / "c3_truncated.png").write_bytes(node_png.read_bytes()[:400])
    PILImage.fromarray(mask).save(root / "masks" / "c3_truncated.png")
    shutil.copy(node_png, root / "images" / "c4_no_mask.png")
    shutil.copy(node_png, root / "images" / "c5_small_mask.png")
    PILImage.fromarray(mask[:20]).save(root / "masks" / "c5_small_mask.png")
    rows = ["case,label"] + [
        f"{c},benign" for c in ("c1", "c2", "c3_truncated", "c4_no_mask", "c5_small_mask")
    ]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


BAD = {"c3_truncated", "c4_no_mask", "c5_small_mask"}


def test_load_folder_skips_unreadable_cases_with_one_line_each(
    folder: Path, capsys: pytest.CaptureFixture
) -> None:
    data = load_folder(folder, 32)
    assert data.cases == ["c1", "c2"] and data.images.shape == (2, 1, 32, 32)
    assert {case for case, _ in data.skipped} == BAD
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "\r" not in "".join(err)
    for case in BAD:
        (line,) = [ln for ln in err if f"case {case}" in ln]
        assert line.startswith("lesionlens: skipped case ")
    assert data.subset("train").skipped == data.skipped
    with pytest.raises(DatasetError):
        load_folder(folder, 32, on_error=None)


def test_load_cases_skips_unreadable_cases(folder: Path) -> None:
    seen: list[tuple[str, Exception]] = []
    data = load_cases(load_dataset(folder), 32, on_error=lambda c, p, e: seen.append((c, e)))
    assert data.cases == ["c1", "c2", "c4_no_mask"]  # indexed data sets: no mask = empty mask
    assert {c for c, _ in seen} == {"c3_truncated", "c5_small_mask"}
    assert [c for c, _ in data.skipped] == [c for c, _ in seen]
