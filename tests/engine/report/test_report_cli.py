"""`lesionlens export` for real, on a tiny identified DICOM and a PNG, with the shipped model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import highdicom as hd
import pydicom
from PIL import Image as PILImage

from engine.cli import main


def test_export_everything_deidentified(
    identified_us, framed_sample, kit, tmp_path: Path, capsys
) -> None:  # noqa: ANN001, E501
    png = tmp_path / "Testpatient_Wilhelmina.png"
    PILImage.fromarray(framed_sample.image).save(png)
    out = tmp_path / "out"
    code = main(["export", str(identified_us.path), str(png), "--out", str(out), "--device", "cpu"])
    assert code == 0
    printed = capsys.readouterr()

    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "case-0001/report.pdf",
        "case-0001/seg.dcm",
        "case-0001/sr.dcm",
        "case-0002/report.pdf",
        "case-0002/seg.dcm",
        "case-0002/source_sc.dcm",
        "case-0002/sr.dcm",
        "findings.csv",
        "findings.json",
    ]
    secrets = ("Testpatient", "Wilhelmina", kit.patient_id, kit.institution, "19990304")
    texts = [printed.out, printed.err]
    for path in out.rglob("*"):
        if path.suffix == ".pdf":
            texts.append(kit.pdf_text(path))
        elif path.is_file():
            texts.append(path.read_bytes().decode("latin-1"))
    for secret in secrets:
        assert not any(secret in text for text in texts), secret
    assert "us_identified" not in printed.err  # no input file names when de-identifying

    seg = hd.seg.segread(out / "case-0001" / "seg.dcm")
    sr = hd.sr.srread(out / "case-0001" / "sr.dcm")
    assert seg.PatientIdentityRemoved == "YES" and sr.PatientIdentityRemoved == "YES"
    assert seg.StudyInstanceUID == sr.StudyInstanceUID  # one UID map for the whole export
    assert seg.get_source_image_uids()[0][2] == (
        sr.CurrentRequestedProcedureEvidenceSequence[0]
        .ReferencedSeriesSequence[0]
        .ReferencedSOPSequence[0]
        .ReferencedSOPInstanceUID
    )
    sc = pydicom.dcmread(out / "case-0002" / "source_sc.dcm")
    assert hd.seg.segread(out / "case-0002" / "seg.dcm").get_source_image_uids()[0][2] == (
        sc.SOPInstanceUID
    )
    for path in out.rglob("*.dcm"):
        kit.assert_valid(path)
    cases = json.loads((out / "findings.json").read_text())["cases"]
    assert [c["case"] for c in cases] == ["case-0001", "case-0002"]
    assert all(c["file"] == "" for c in cases)
    assert "RESEARCH USE ONLY" in kit.pdf_text(out / "case-0002" / "report.pdf")


def test_export_named_outputs_keeping_identifiers(
    identified_us, kit, tmp_path: Path, capsys
) -> None:  # noqa: ANN001, E501
    out = tmp_path / "o"
    args = ["export", str(identified_us.path), "--out", str(out), "--keep-identifiers"]
    args += ["--seg", "a.seg.dcm", "--sr", "a.sr.dcm", "--pdf", "a.pdf", "--key-image", "a.png"]
    args += ["--json", "t.json", "--csv", "t.csv", "--reviewer", "Reader^Rita", "--device", "cpu"]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "a.pdf",
        "a.png",
        "a.seg.dcm",
        "a.sr.dcm",
        "t.csv",
        "t.json",
    ]
    seg = pydicom.dcmread(out / "a.seg.dcm")
    assert str(seg.PatientName) == kit.patient_name and "PatientIdentityRemoved" not in seg
    sr = pydicom.dcmread(out / "a.sr.dcm")
    assert "Reader^Rita" in str(sr.ContentSequence)  # the person observer
    kit.assert_valid(out / "a.seg.dcm")
    kit.assert_valid(out / "a.sr.dcm")
    assert "Testpatient, Wilhelmina" in kit.pdf_text(out / "a.pdf")
    assert "us_identified.dcm" in capsys.readouterr().err
    rows = (out / "t.csv").read_text().splitlines()
    assert rows[1].startswith("us_identified,us_identified.dcm,")


def test_export_refuses_pixels_it_cannot_clean(kit, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Burned-in annotation without an ultrasound tissue region: no blanking possible, so no
    image leaves de-identified; the SEG (no source pixels) still may."""
    folder = kit.write_ct_series(tmp_path / "ct", slices=1, size=32)
    path = next(folder.iterdir())
    ds = pydicom.dcmread(path)
    ds.BurnedInAnnotation = "YES"
    ds.save_as(path)
    out = tmp_path / "o"
    assert main(["export", str(path), "--out", str(out), "--pdf", "r.pdf", "--seg", "s.dcm"]) == 1
    assert "burned-in" in capsys.readouterr().err
    assert not out.exists() or not any(out.rglob("*.*"))  # all or nothing
    assert main(["export", str(path), "--out", str(out), "--seg", "s.dcm"]) == 0
    kit.assert_valid(out / "s.dcm")


def test_export_cine_frame(framed_sample, kit, tmp_path: Path) -> None:  # noqa: ANN001
    cine = kit.write_cine(tmp_path / "cine.dcm", framed_sample)
    out = tmp_path / "o"
    assert main(["export", str(cine), "--out", str(out), "--sr", "sr.dcm", "--frame", "3"]) == 0
    sr = pydicom.dcmread(out / "sr.dcm")
    assert "Referenced Frame Number" in str(sr.ContentSequence)
    kit.assert_valid(out / "sr.dcm")
    assert main(["export", str(cine), "--out", str(out), "--sr", "x.dcm", "--frame", "9"]) == 1
    # The frame number goes into the text outputs too: findings JSON, CSV and the PDF.
    args = ["export", str(cine), "--out", str(out / "t"), "--frame", "3"]
    assert main([*args, "--json", "f.json", "--csv", "f.csv", "--pdf", "r.pdf"]) == 0
    (case,) = json.loads((out / "t" / "f.json").read_text())["cases"]
    assert case["frame"] == 3
    with (out / "t" / "f.csv").open(newline="") as table:
        assert {row["frame"] for row in csv.DictReader(table)} == {"3"}
    (pdf,) = (out / "t").rglob("*r.pdf")
    assert "frame 3" in kit.pdf_text(pdf)


def test_export_refuses_to_overwrite_unless_asked(framed_sample, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Issue 20, item 3: a second export into the same folder (case-0001 again, another
    patient) replaced the first one's files. Now it is refused, naming them, until --overwrite."""
    png = tmp_path / "scan.png"
    PILImage.fromarray(framed_sample.image).save(png)
    out = tmp_path / "out"
    args = ["export", str(png), "--out", str(out), "--pdf", "r.pdf", "--json", "t.json"]
    assert main([*args, "--device", "cpu"]) == 0
    before = {p: p.read_bytes() for p in (out / "r.pdf", out / "t.json")}
    stamp = (out / "r.pdf").stat().st_mtime_ns
    capsys.readouterr()
    assert main([*args, "--device", "cpu"]) != 0
    err = capsys.readouterr().err
    assert "would overwrite" in err and "r.pdf" in err and "t.json" in err
    assert "--overwrite" in err
    assert {p: p.read_bytes() for p in before} == before  # nothing replaced
    assert main([*args, "--device", "cpu", "--overwrite"]) == 0
    assert (out / "r.pdf").stat().st_mtime_ns > stamp  # written again
