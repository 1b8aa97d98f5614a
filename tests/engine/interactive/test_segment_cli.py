"""`lesionlens segment`: mask.png + findings.json as analyze writes them (shipped bundle)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.cli import main
from engine.interactive.parser import join_prompt_values


def test_segment_writes_mask_and_findings(tmp_path: Path) -> None:
    rows, cols = np.ogrid[:160, :200]
    disc = (rows - 70) ** 2 + (cols - 110) ** 2 <= 28**2
    image = np.where(disc, 40, 150).astype(np.uint8)  # a dark (hypoechoic) lesion
    path = tmp_path / "disc.png"
    PILImage.fromarray(image).save(path)
    out = tmp_path / "out"
    code = main(["segment", str(path), "--click", "70,110", "--click", "-5,5", "--out", str(out)])
    assert code == 0
    mask = np.asarray(PILImage.open(out / "mask.png"))
    assert mask.shape == (160, 200) and set(np.unique(mask)) <= {0, 255}
    findings = json.loads((out / "findings.json").read_text())
    assert findings["lesion_count"] == 1 and findings["units"] == "px"
    lesion = findings["measurements"][0]
    assert lesion["drawn_by_reader"] and lesion["probability"] is None
    assert lesion["area_px"] > 0.7 * disc.sum()
    assert findings["assistance"] == "reader-drawn with AI assistance"
    assert findings["prompts"]["clicks"][1] == {"row": 5.0, "col": 5.0, "positive": False}


def test_segment_needs_a_prompt_and_valid_numbers(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "x.png"
    PILImage.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    assert main(["segment", str(path), "--out", str(tmp_path / "o")]) == 2
    assert main(["segment", str(path), "--click", "1,a", "--out", str(tmp_path / "o")]) == 2
    assert "R,C" in capsys.readouterr().err


def test_negative_click_values_reach_argparse_whole() -> None:
    argv = ["segment", "a.png", "--click", "-3,4", "--box", "1,2,3,4", "--out", "d"]
    assert join_prompt_values(argv) == [
        "segment",
        "a.png",
        "--click=-3,4",
        "--box=1,2,3,4",
        "--out",
        "d",
    ]
    assert join_prompt_values(["analyze", "--click", "x"]) == ["analyze", "--click", "x"]
