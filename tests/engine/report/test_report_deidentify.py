"""De-identification: the action table, consistent UID remapping, burned-in text blanking."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.datadict import keyword_dict
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from engine.report.deidentify import (
    ACTIONS,
    CLASS_UID_KEYWORDS,
    Deidentifier,
    blank_outside_tissue,
    burned_in_text_possible,
)
from engine.report.errors import ExportError
from engine.types import UltrasoundRegion


def test_action_table_names_real_attributes() -> None:
    unknown = [k for k in (*ACTIONS, *CLASS_UID_KEYWORDS) if k not in keyword_dict]
    assert unknown == []
    assert set(ACTIONS.values()) <= {"X", "Z"}


def test_identifiers_go_and_uids_are_remapped_consistently(identified_us, kit) -> None:  # noqa: ANN001
    original = pydicom.dcmread(identified_us.path, stop_before_pixels=True)
    nested = Dataset()
    nested.ReferencedSOPClassUID = original.SOPClassUID
    nested.ReferencedSOPInstanceUID = original.SOPInstanceUID
    nested.OperatorsName = "Sono^Grapher"
    original.ReferencedImageSequence = Sequence([nested])
    deid = Deidentifier(salt="fixed")
    out = deid.dataset(original)

    text = str(out) + str(out.file_meta)
    for secret in (kit.patient_name, kit.patient_id, kit.institution, "SN-998877", "Referrer"):
        assert secret not in text
    assert "Sono" not in text and "ACME" not in text  # nested operator, private tags
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "StudyDate"):
        assert keyword in out and not out[keyword].value  # Type 2: present, empty
    assert "InstitutionName" not in out and "DeviceSerialNumber" not in out
    assert out.PatientIdentityRemoved == "YES"
    assert out.DeidentificationMethodCodeSequence[0].CodeValue == "113100"

    # Instance UIDs: new, shared by every reference to the same original, stable per salt.
    assert out.SOPInstanceUID != original.SOPInstanceUID
    assert out.SOPInstanceUID.startswith("2.25.")
    assert out.ReferencedImageSequence[0].ReferencedSOPInstanceUID == out.SOPInstanceUID
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.StudyInstanceUID == Deidentifier(salt="fixed").uid(original.StudyInstanceUID)
    assert out.StudyInstanceUID != Deidentifier(salt="other").uid(original.StudyInstanceUID)
    # Class UIDs name a kind of object, not a patient: kept.
    assert out.SOPClassUID == original.SOPClassUID
    assert out.ReferencedImageSequence[0].ReferencedSOPClassUID == original.SOPClassUID
    # The original is untouched.
    assert str(original.PatientName) == kit.patient_name


def test_metadata_for_the_pdf_header_is_blanked() -> None:
    metadata = {"PatientName": "A^B", "InstitutionName": "X", "Modality": "US"}
    assert Deidentifier().metadata(metadata) == {
        "PatientName": "",
        "InstitutionName": "",
        "Modality": "US",
    }


def _region(r0: int, c0: int, r1: int, c1: int, kind: str = "tissue") -> UltrasoundRegion:
    return UltrasoundRegion(r0, c0, r1, c1, "2D", kind, "cm", "cm", 0.01, 0.01)


def test_blanking_keeps_exactly_the_tissue_regions() -> None:
    pixels = np.full((10, 12, 3), 200, np.uint8)
    regions = (_region(2, 3, 5, 7), _region(0, 0, 9, 11, kind="color bar"))
    out = blank_outside_tissue(pixels, regions)
    expected = np.zeros_like(pixels)
    expected[2:6, 3:8] = 200  # bounds are inclusive
    assert np.array_equal(out, expected)
    assert pixels.min() == 200  # input untouched


def test_blanking_without_tissue_region_refuses() -> None:
    with pytest.raises(ExportError, match="burned-in"):
        blank_outside_tissue(np.zeros((4, 4), np.uint8), ())


def test_when_burned_in_text_is_assumed() -> None:
    flagged, unflagged, denied = Dataset(), Dataset(), Dataset()
    flagged.BurnedInAnnotation = "YES"
    denied.BurnedInAnnotation = "NO"
    us = (_region(0, 0, 3, 3),)
    assert burned_in_text_possible(flagged, ())
    assert burned_in_text_possible(unflagged, us)  # ultrasound screen without the flag
    assert not burned_in_text_possible(unflagged, ())
    assert not burned_in_text_possible(denied, us)
    assert not burned_in_text_possible(None, us)
