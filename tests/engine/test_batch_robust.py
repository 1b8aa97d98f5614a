"""One bad file never stops a batch (issue 22, item 1) and batch progress is plain lines
outside a terminal (item 5).

The bad files are mutated copies of real vendor ultrasound DICOMs (pydicom-data: GE LOGIQ
US1_UNCR, the OBXXXX1A cine) and a PNG written here: truncation, byte flips, a lying
Rows/Columns, dropped PixelData and pixel-module tags, spliced and appended garbage."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

from engine.cli import main
from engine.types import Image


def _png_bytes(seed: int = 0) -> bytes:
    buf = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 255, (96, 128), dtype=np.uint8)
    PILImage.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def _flip(data: bytes, offsets: range) -> bytes:
    out = bytearray(data)
    for offset in offsets:
        out[offset] ^= 0xFF
    return bytes(out)


def _saved(name: str, **changes: object) -> bytes:
    ds = pydicom.dcmread(get_testdata_file(name))
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def bad_inputs() -> dict[str, bytes]:
    us = Path(get_testdata_file("US1_UNCR.dcm")).read_bytes()
    cine = Path(get_testdata_file("OBXXXX1A.dcm")).read_bytes()
    png = _png_bytes()
    rows = us.index(b"\x28\x00\x10\x00")  # (0028,0010) Rows, explicit VR little endian
    return {
        "us_truncated.dcm": us[: len(us) // 2],
        "cine_truncated.dcm": cine[:3000],
        "us_flipped_header.dcm": _flip(us, range(128, 140)),
        "us_unknown_vr.dcm": us[: rows + 4] + b"\x55\xa7" + us[rows + 6 :],
        "us_spliced.dcm": us[:rows] + np.random.default_rng(1).bytes(64) + us[rows:],
        "us_lying_rows.dcm": _saved("US1_UNCR.dcm", Rows=960),
        "us_lying_columns.dcm": _saved("US1_UNCR.dcm", Columns=1280),
        "us_zero_rows.dcm": _saved("US1_UNCR.dcm", Rows=0),
        "cine_lying_rows.dcm": _saved("OBXXXX1A.dcm", Rows=960),
        "us_no_pixeldata.dcm": _saved("US1_UNCR.dcm", PixelData=None),
        "us_no_bits_allocated.dcm": _saved(
            "US1_UNCR.dcm", BitsAllocated=None, SamplesPerPixel=None
        ),
        "png_truncated.png": png[: len(png) // 2],
        "png_flipped.png": _flip(png, range(60, 80)),
    }


@pytest.fixture
def batch(tmp_path: Path, node_png: Path) -> tuple[list[Path], list[Path]]:
    """(good, bad) input files, interleaved on disk so bad ones sit between good ones."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    us = Path(get_testdata_file("US1_UNCR.dcm"))
    good = [
        Path(shutil.copy(us, folder / "us_good.dcm")),
        Path(shutil.copy(get_testdata_file("OBXXXX1A.dcm"), folder / "cine_good.dcm")),
        Path(shutil.copy(node_png, folder / "node_good.png")),
    ]
    (folder / "small_good.png").write_bytes(_png_bytes(3))
    (folder / "us_garbage_appended.dcm").write_bytes(
        us.read_bytes() + np.random.default_rng(2).bytes(3000)
    )
    (folder / "png_garbage_appended.png").write_bytes(_png_bytes(4) + b"garbage" * 100)
    good += [folder / n for n in ("small_good.png", "us_garbage_appended.dcm")]
    good.append(folder / "png_garbage_appended.png")
    bad = []
    for name, data in bad_inputs().items():
        (folder / name).write_bytes(data)
        bad.append(folder / name)
    return good, bad


def _lines_naming(err: str, path: Path) -> list[str]:
    return [line for line in err.splitlines() if path.name in line]


def test_analyze_goes_on_past_every_bad_file(
    batch: tuple[list[Path], list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good, bad = batch
    inputs = sorted(good + bad)  # one call, bad files in between good ones
    out = tmp_path / "out"
    code = main(["analyze", *map(str, inputs), "--out", str(out), "--no-tta", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and "IndexError" not in err
    for path in good:
        assert (out / path.stem / "mask.png").is_file(), path.name
        assert json.loads((out / path.stem / "findings.json").read_text())["image_size"]
        assert not any("error" in line for line in _lines_naming(err, path)), path.name
    for path in bad:
        lines = _lines_naming(err, path)
        assert len(lines) == 1, (path.name, lines)
        assert lines[0].startswith("lesionlens: error: [") and len(lines[0]) > len(str(path)) + 30
        assert not (out / path.stem).exists()
    assert f"{len(bad)} of {len(inputs)} input(s) could not be analysed" in err
    # Item 5: captured stderr is not a terminal: separate lines, no carriage returns.
    assert "\r" not in err
    assert len(err.splitlines()) == len(inputs) + 1


def test_any_exception_of_one_case_is_one_line_and_interrupts_still_stop(
    tmp_path: Path, node_png: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only LoadError: an image with no pixels (the IndexError of the issue, now an
    ImageError), and any unexpected exception, are one line each; Ctrl-C ends the run."""
    import engine.io

    names = ["a_first.png", "b_empty.png", "c_boom.png", "d_last.png"]
    for name in names:
        shutil.copy(node_png, tmp_path / name)
    real = engine.io.load_image

    def load(path: str | Path) -> Image:
        name = Path(path).name
        if name == "b_empty.png":
            return Image(pixels=np.zeros((0, 5), np.uint8))
        if name == "c_boom.png":
            raise RuntimeError("decoder exploded")
        return real(path)

    monkeypatch.setattr(engine.io, "load_image", load)
    out = tmp_path / "out"
    files = [str(tmp_path / n) for n in names]
    code = main(["analyze", *files, "--out", str(out), "--no-tta", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert (out / "a_first" / "mask.png").is_file() and (out / "d_last" / "mask.png").is_file()
    (empty,) = _lines_naming(err, Path("b_empty.png"))
    assert "no pixels" in empty
    (boom,) = _lines_naming(err, Path("c_boom.png"))
    assert "RuntimeError: decoder exploded" in boom

    def interrupted(path: str | Path) -> Image:
        if Path(path).name == "b_empty.png":
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(engine.io, "load_image", interrupted)
    out2 = tmp_path / "out2"
    code = main(["analyze", *files, "--out", str(out2), "--no-tta", "--device", "cpu"])
    assert code == 130
    assert (out2 / "a_first").is_dir() and not (out2 / "d_last").exists()


def _dataset(root: Path, node_png: Path) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    mask = np.zeros(PILImage.open(node_png).size[::-1], np.uint8)
    mask[40:80, 40:90] = 255
    rows = ["case,label"]
    for case in ("c1", "c2", "c3"):
        shutil.copy(node_png, root / "images" / f"{case}.png")
        PILImage.fromarray(mask).save(root / "masks" / f"{case}.png")
        rows.append(f"{case},benign")
    (root / "images" / "c4_truncated.png").write_bytes(node_png.read_bytes()[:500])
    PILImage.fromarray(mask).save(root / "masks" / "c4_truncated.png")
    shutil.copy(node_png, root / "images" / "c5_wrong_mask.png")
    PILImage.fromarray(mask[:50]).save(root / "masks" / "c5_wrong_mask.png")
    rows += ["c4_truncated,benign", "c5_wrong_mask,benign"]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_evaluate_scores_the_readable_cases_and_names_the_others(
    tmp_path: Path, node_png: Path, capsys: pytest.CaptureFixture
) -> None:
    data = _dataset(tmp_path / "data", node_png)
    report = tmp_path / "eval.json"
    code = main(["evaluate", "--data", str(data), "--json", str(report), "--device", "cpu"])
    captured = capsys.readouterr()
    assert code == 1
    err = captured.err
    assert "Traceback" not in err and "\r" not in err
    for case in ("c4_truncated", "c5_wrong_mask"):
        (line,) = [ln for ln in err.splitlines() if case in ln and "error" in ln]
        assert line.startswith(f"lesionlens: error: case {case} (")
    progress = [ln for ln in err.splitlines() if ln.endswith("evaluating")]
    assert progress == [f"[{k}/5] evaluating" for k in range(1, 6)]
    result = json.loads(report.read_text())
    assert result["summary"]["n"] == 3 and result["summary"]["failed_cases"] == 2
    assert {f["case"] for f in result["failed"]} == {"c4_truncated", "c5_wrong_mask"}
    assert json.loads(captured.out)["n"] == 3


def test_export_goes_on_past_bad_files(
    batch: tuple[list[Path], list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good, bad = batch
    good, bad = good[2:4], bad[:4]  # export analyses with TTA: keep the batch small
    out = tmp_path / "export"
    args = ["export", *map(str, sorted(good + bad)), "--out", str(out), "--json", "all.json"]
    code = main([*args, "--keep-identifiers", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "\r" not in err
    for path in bad:
        (line,) = _lines_naming(err, path)
        assert line.startswith("lesionlens: error: [")
    table = json.loads((out / "all.json").read_text())
    assert len(table["cases"]) == len(good)
