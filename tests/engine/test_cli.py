"""Every headless subcommand, run for real on tiny data (the GUI's `view` is in tests/desktop)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from engine.cli import main


def test_analyze_writes_mask_and_findings(tmp_path: Path, node_png: Path, node_dicom: Path) -> None:
    out = tmp_path / "out"
    assert (
        main(["analyze", str(node_png), str(node_dicom), "--out", str(out), "--device", "cpu"]) == 0
    )
    for name in ("node_png", "node_dcm"):
        mask = np.asarray(PILImage.open(out / name / "mask.png"))
        assert mask.shape == (256, mask.shape[1]) and set(np.unique(mask)) <= {0, 255}
        findings = json.loads((out / name / "findings.json").read_text())
        assert {"label", "probabilities", "measurements"} <= set(findings)
    assert json.loads((out / "node_dcm" / "findings.json").read_text())["units"] == "mm"
    assert json.loads((out / "node_png" / "findings.json").read_text())["units"] == "px"


def test_analyze_reports_bad_input_and_goes_on(tmp_path: Path, node_png: Path, capsys) -> None:  # noqa: ANN001
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"nope")
    code = main(["analyze", str(bad), str(node_png), "--out", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    assert "broken.dcm" in err and "not a DICOM" in err
    assert (tmp_path / "o" / "node" / "mask.png").is_file()


def test_analyze_folder_input(tmp_path: Path, node_png: Path) -> None:
    assert main(["analyze", str(node_png.parent), "--out", str(tmp_path / "o2")]) == 0
    assert json.loads((tmp_path / "o2" / "node" / "findings.json").read_text())["tta_passes"] == 4
    assert main(["analyze", str(node_png), "--out", str(tmp_path / "o3"), "--no-tta"]) == 0
    assert json.loads((tmp_path / "o3" / "node" / "findings.json").read_text())["tta_passes"] == 1


def test_synth_then_evaluate(tmp_path: Path) -> None:
    data = tmp_path / "ds"
    assert main(["synth", "nodes", "--n", "4", "--out", str(data), "--seed", "3"]) == 0
    report = tmp_path / "eval.json"
    assert main(["evaluate", "--data", str(data), "--json", str(report)]) == 0
    summary = json.loads(report.read_text())["summary"]
    assert summary["n"] == 4 and 0.0 <= summary["dice"] <= 1.0
    assert summary["hd95_units"] == "px"  # PNG data sets carry no calibration


def test_evaluate_plots(tmp_path: Path) -> None:
    data = tmp_path / "ds"
    assert main(["synth", "nodes", "--n", "4", "--out", str(data), "--seed", "8"]) == 0
    plots = tmp_path / "plots"
    assert main(["evaluate", "--data", str(data), "--plots", str(plots)]) == 0
    for name in ("roc", "reliability", "dice_histogram", "worst_cases"):
        png = PILImage.open(plots / f"{name}.png")
        assert png.size[0] > 200 and png.size[1] > 200


def test_bad_model_dir_is_one_clear_line(tmp_path: Path, node_png: Path, capsys) -> None:  # noqa: ANN001
    code = main(["analyze", str(node_png), "--out", str(tmp_path), "--model", str(tmp_path / "x")])
    assert code == 2
    assert "folder not found" in capsys.readouterr().err


def test_console_script_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "analyze" in result.stdout and "view" in result.stdout


def test_analyze_template_option_describes_with_the_chosen_template(
    tmp_path: Path, node_dicom: Path
) -> None:
    out = tmp_path / "out"
    args = ["analyze", str(node_dicom), "--out", str(out), "--device", "cpu", "--no-tta"]
    assert main(args) == 0
    # The default model is a lymph-node model: its own template is the node one.
    default = json.loads((out / "node" / "findings.json").read_text())
    d = default["measurements"][0]["descriptors"]
    assert d["template"] == "lymph-node"
    assert [i["name"] for i in d["descriptors"]] == [
        "shape",
        "hilum",
        "cortex",
        "margin",
        "vascular_pattern",
    ]
    assert d["descriptors"][0]["measurement"]["short_axis_mm"] > 0  # the DICOM's spacing
    assert d["category"]["value"] in ("suspicious", "not suspicious")
    assert main([*args, "--template", "none"]) == 0
    plain = json.loads((out / "node" / "findings.json").read_text())
    assert plain["measurements"] and plain["measurements"][0]["descriptors"] is None
    assert main([*args, "--template", "ti-rads"]) == 0
    thyroid = json.loads((out / "node" / "findings.json").read_text())
    assert thyroid["measurements"][0]["descriptors"]["category"]["value"].startswith("TR")
