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


def test_synth_into_an_unwritable_place_is_one_line(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code = main(["synth", "nodes", "--n", "2", "--out", str(blocker / "ds")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("lesionlens: error: cannot write") and "a_file" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_synth_generator_failure_names_the_case(tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: ANN001
    from dataclasses import replace

    from engine.synth import case_writers

    spec = case_writers.KIND_SPECS["nodes"]

    def broken(*args: object) -> None:
        raise FloatingPointError("overflow\nin speckle")

    monkeypatch.setitem(case_writers.KIND_SPECS, "nodes", replace(spec, write_case=broken))
    code = main(["synth", "nodes", "--n", "2", "--out", str(tmp_path / "ds"), "--seed", "4"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "lesionlens: error: synthetic nodes case node004_00000 failed: "
        "FloatingPointError: overflow in speckle"
    )


def test_synth_breast_as_dicom(tmp_path: Path) -> None:
    import pydicom

    data = tmp_path / "ds"
    assert main(["synth", "breast", "--n", "2", "--out", str(data), "--dicom"]) == 0
    files = sorted((data / "images").iterdir())
    assert len(files) == 2 and all(f.suffix == ".dcm" for f in files)
    ds = pydicom.dcmread(files[0])
    assert ds.Modality == "US" and ds.SequenceOfUltrasoundRegions[0].PhysicalDeltaX > 0


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


def _store_measurements(home: Path, path: Path, frame_index: int) -> None:
    """The viewer's Save Review for `path`: a caliper of 100 px, an ellipse and an angle on
    frame `frame_index`, with the reader's calibration of 0.1 mm per pixel."""
    from engine.datastore import Datastore
    from engine.reader_measurements import CaseMeasurements
    from engine.reader_shapes import Angle, Ellipse

    store = Datastore(home)
    shapes = (
        Ellipse((60.0, 80.0), (20.0, 10.0), 0.0),
        Angle((20.0, 30.0), (20.0, 10.0), (40.0, 10.0)),
    )
    calipers = (((30.0, 40.0), (30.0, 140.0)),)
    stored = CaseMeasurements(frame_index, (0.1, 0.1), calipers, shapes)
    store.save_measurements(store.add_case(path), stored.to_json())


def test_analyze_lists_the_readers_stored_measurements_as_export_does(
    tmp_path: Path,
    node_png: Path,
    monkeypatch,  # noqa: ANN001
) -> None:
    from engine.datastore import HOME_ENV

    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    _store_measurements(home, node_png, frame_index=0)
    out = tmp_path / "out"
    assert main(["analyze", str(node_png), "--out", str(out), "--device", "cpu"]) == 0
    doc = json.loads((out / "node" / "findings.json").read_text())
    assert doc["frame"] == 1
    lines = doc["reader_measurements"]
    assert [(m["label"], m["unit"]) for m in lines] == [("C1", "mm"), ("E1", "mm2"), ("A1", "deg")]
    assert lines[0]["value"] == 10.0  # the reader's calibration: 0.1 mm per pixel
    assert doc["units"] == "mm" and doc["spacing_mm"] == [0.1, 0.1]  # findings in mm too
    # The same lines, value for value, as `lesionlens export` writes for the file.
    args = ["export", str(node_png), "--out", str(out / "e"), "--json", "f.json"]
    assert main([*args, "--device", "cpu"]) == 0
    (case,) = json.loads((out / "e" / "f.json").read_text())["cases"]
    assert case["measurements"] == lines


def test_analyze_frame_of_a_cine_with_the_measurements_drawn_on_it(
    tmp_path: Path,
    node_sample,
    cine_writer,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    from engine.datastore import HOME_ENV

    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    cine = cine_writer(tmp_path / "cine.dcm", node_sample, frames=3)
    _store_measurements(home, cine, frame_index=2)  # drawn on the third frame
    out = tmp_path / "out"
    assert (
        main(["analyze", str(cine), "--out", str(out / "3"), "--frame", "3", "--device", "cpu"])
        == 0
    )
    doc = json.loads((out / "3" / "cine" / "findings.json").read_text())
    assert doc["frame"] == 3 and [m["label"] for m in doc["reader_measurements"]] == [
        "C1",
        "E1",
        "A1",
    ]
    mask = np.asarray(PILImage.open(out / "3" / "cine" / "mask.png"))
    assert mask.shape == node_sample.image.shape[:2]  # one frame's mask, not the cine's
    # Frame 1: the measurements belong to another frame, so none are listed.
    assert main(["analyze", str(cine), "--out", str(out / "1"), "--device", "cpu"]) == 0
    first = json.loads((out / "1" / "cine" / "findings.json").read_text())
    assert first["frame"] == 1 and first["reader_measurements"] == []
    capsys.readouterr()
    # A frame the file does not have fails that input, naming the file; --frame 0 is usage.
    assert (
        main(["analyze", str(cine), "--out", str(out / "9"), "--frame", "9", "--device", "cpu"])
        == 1
    )
    err = capsys.readouterr().err
    assert "cine.dcm" in err and "frame 9 requested, the file has 3" in err
    assert main(["analyze", str(cine), "--out", str(out / "0"), "--frame", "0"]) == 2
    assert "--frame counts from 1" in capsys.readouterr().err
