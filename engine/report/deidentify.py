"""De-identification after DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile.

What it acts on: the headers of the source images an export references (ultrasound, CT/MR,
secondary capture) and the `Image.metadata` dict the PDF header is filled from. The DICOM
objects LesionLens writes (SEG, SR, SC) copy their Patient and Study modules from those
de-identified headers, so they inherit the result; they add no patient data of their own.

The action table below covers the attributes those sources can carry and that our outputs
emit (patient, study, institution, physicians and operators, dates and times, device
serial numbers, free-text descriptions); beyond it, three generic rules make the profile's
"all other" intent hold for attributes the table does not name:
- private tags, overlays (60xx) and curves (50xx) are removed;
- every person name (PN) and every date/time (DA, DT, TM) not named is removed;
- every UID that identifies an instance (not a SOP class or transfer syntax) is replaced by
  a UID derived from a per-export secret (`2.25.<hash>`), the same original always giving
  the same replacement within one export, so references between SEG, SR and their source
  stay consistent while nothing links them to the original UIDs.

Action codes as in Table E.1-1: X remove, Z keep the attribute with an empty value (it is
Type 2 in the IODs we write), D replace with a dummy, U replace the UID.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from engine.report.errors import ExportError
from engine.tissue import TissueArea, find_tissue_area
from engine.types import Image, UltrasoundRegion

DEIDENTIFICATION_METHOD = "LesionLens: PS3.15 Basic Profile"  # LO, at most 64 characters
BASIC_PROFILE = ("113100", "DCM", "Basic Application Confidentiality Profile")
CLEAN_PIXEL_OPTION = ("113101", "DCM", "Clean Pixel Data Option")

# Table E.1-1, Basic Profile column, for the attributes our sources and outputs carry. Where
# the profile allows X/Z/D, Z is used for Type 2 attributes of the Patient and General Study
# modules (highdicom copies those into SEG and SR and they must be present), X otherwise.
ACTIONS: dict[str, str] = {
    # Patient
    "PatientName": "Z",
    "PatientID": "Z",
    "PatientBirthDate": "Z",
    "PatientSex": "Z",
    "IssuerOfPatientID": "X",
    "IssuerOfPatientIDQualifiersSequence": "X",
    "PatientBirthTime": "X",
    "PatientAge": "X",
    "PatientSize": "X",
    "PatientWeight": "X",
    "PatientAddress": "X",
    "PatientTelephoneNumbers": "X",
    "PatientMotherBirthName": "X",
    "PatientBirthName": "X",
    "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X",
    "PatientComments": "X",
    "PatientReligiousPreference": "X",
    "PatientInsurancePlanCodeSequence": "X",
    "PatientState": "X",
    "PregnancyStatus": "X",
    "SmokingStatus": "X",
    "EthnicGroup": "X",
    "Occupation": "X",
    "MilitaryRank": "X",
    "BranchOfService": "X",
    "CountryOfResidence": "X",
    "RegionOfResidence": "X",
    "MedicalRecordLocator": "X",
    "MedicalAlerts": "X",
    "Allergies": "X",
    "AdditionalPatientHistory": "X",
    "ResponsiblePerson": "X",
    "ResponsibleOrganization": "X",
    "ReferencedPatientSequence": "X",
    "ReferencedPatientPhotoSequence": "X",
    # Study, visit, request
    "StudyDate": "Z",
    "StudyTime": "Z",
    "AccessionNumber": "Z",
    "StudyID": "Z",
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X",
    "ReferringPhysicianIdentificationSequence": "X",
    "StudyDescription": "X",
    "StudyComments": "X",
    "ReferencedStudySequence": "X",
    "IssuerOfAccessionNumberSequence": "X",
    "AdmissionID": "X",
    "AdmittingDiagnosesDescription": "X",
    "AdmittingDiagnosesCodeSequence": "X",
    "RequestAttributesSequence": "X",
    "RequestedProcedureDescription": "X",
    "RequestedProcedureID": "X",
    "ScheduledProcedureStepDescription": "X",
    "ScheduledProcedureStepID": "X",
    "ReasonForTheRequestedProcedure": "X",
    "RequestingPhysician": "X",
    "RequestingService": "X",
    "ReferencedPerformedProcedureStepSequence": "X",
    "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepID": "X",
    "PerformedProcedureStepStartDate": "X",
    "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X",
    "PerformedProcedureStepEndTime": "X",
    "ProcedureCodeSequence": "X",
    # Physicians and operators
    "PhysiciansOfRecord": "X",
    "PhysiciansOfRecordIdentificationSequence": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "PhysiciansReadingStudyIdentificationSequence": "X",
    "PerformingPhysicianName": "X",
    "PerformingPhysicianIdentificationSequence": "X",
    "OperatorsName": "X",
    "OperatorIdentificationSequence": "X",
    "ContentCreatorName": "Z",
    "ContentCreatorIdentificationCodeSequence": "X",
    # Institution and equipment
    "InstitutionName": "X",
    "InstitutionAddress": "X",
    "InstitutionalDepartmentName": "X",
    "InstitutionCodeSequence": "X",
    "StationName": "X",
    "DeviceSerialNumber": "X",
    "DetectorID": "X",
    "PlateID": "X",
    "GantryID": "X",
    "CassetteID": "X",
    "DeviceDescription": "X",
    # Series, acquisition and image descriptions, dates and times
    "SeriesDescription": "X",
    "SeriesDate": "X",
    "SeriesTime": "X",
    "AcquisitionDate": "X",
    "AcquisitionTime": "X",
    "AcquisitionDateTime": "X",
    "ContentDate": "X",
    "ContentTime": "X",
    "InstanceCreationDate": "X",
    "InstanceCreationTime": "X",
    "OverlayDate": "X",
    "OverlayTime": "X",
    "CurveDate": "X",
    "CurveTime": "X",
    "TimezoneOffsetFromUTC": "X",
    "ProtocolName": "X",
    "ImageComments": "X",
    "DerivationDescription": "X",
    "AcquisitionComments": "X",
    "AcquisitionDeviceProcessingDescription": "X",
    "FrameComments": "X",
    "IconImageSequence": "X",
    # Wholesale copies of other attributes, signatures
    "OriginalAttributesSequence": "X",
    "ModifiedAttributesSequence": "X",
    "DigitalSignaturesSequence": "X",
    "MACParametersSequence": "X",
    "EncryptedAttributesSequence": "X",
}

# UI attributes that name a class, syntax or coding scheme, not an instance: never remapped.
CLASS_UID_KEYWORDS = frozenset(
    {
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "TransferSyntaxUID",
        "ReferencedTransferSyntaxUIDInFile",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextGroupExtensionCreatorUID",
        "RelatedGeneralSOPClassUID",
        "OriginalSpecializedSOPClassUID",
        "SOPClassesInStudy",
        "AffectedSOPClassUID",
        "RequestedSOPClassUID",
        "PrivateRecordUID",
    }
)

# Image.metadata keys shown in the PDF header; blanked when de-identified.
IDENTIFYING_METADATA = frozenset(
    {
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyDate",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
        "InstitutionName",
        "StudyDescription",
        "SeriesDescription",
    }
)


class Deidentifier:
    """One export's de-identification: the action table plus a consistent UID map.

    `salt` makes the map reproducible (e.g. a project secret, so two exports of one study
    still match); by default each Deidentifier draws a fresh random one, so nothing links
    two exports. The map is kept in memory only and never written or printed.
    """

    def __init__(self, salt: str | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_hex(16)
        self._uids: dict[str, str] = {}

    def uid(self, original: str) -> str:
        original = str(original)
        if original not in self._uids:
            digest = hashlib.sha256(f"{self._salt}\0{original}".encode()).digest()
            # 2.25.<128-bit integer>: the UUID-derived root that needs no registered prefix.
            self._uids[original] = f"2.25.{int.from_bytes(digest[:16], 'big')}"
        return self._uids[original]

    def dataset(self, ds: Dataset) -> Dataset:
        """A de-identified copy of a header (pass one read without pixels), marked as such."""
        out = Dataset()
        out.update(ds)  # shallow: _clean rebuilds every sequence it walks into
        out = self._clean(out)
        meta = getattr(ds, "file_meta", None)
        if meta is not None:
            out.file_meta = type(meta)()
            out.file_meta.update(meta)
            if "MediaStorageSOPInstanceUID" in meta:
                out.file_meta.MediaStorageSOPInstanceUID = self.uid(meta.MediaStorageSOPInstanceUID)
        mark_deidentified(out)
        return out

    def metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """Image.metadata with identifying entries blanked (empty strings)."""
        return {k: ("" if k in IDENTIFYING_METADATA else v) for k, v in metadata.items()}

    def _clean(self, ds: Dataset) -> Dataset:
        out = Dataset()
        for element in ds:
            tag, keyword, vr = element.tag, element.keyword, element.VR
            if tag.is_private or (tag.group & 0xFF00) in (0x5000, 0x6000):
                continue
            action = ACTIONS.get(keyword)
            if action == "X" or (action is None and vr in ("PN", "DA", "DT", "TM")):
                continue
            if action == "Z":
                out.add_new(tag, vr, None if vr == "SQ" else "")
                continue
            if vr == "SQ":
                out.add_new(tag, vr, Sequence([self._clean(item) for item in element.value or []]))
            elif vr == "UI" and keyword not in CLASS_UID_KEYWORDS and element.value:
                value = element.value
                if element.VM > 1:
                    out.add_new(tag, vr, [self.uid(v) for v in value])
                else:
                    out.add_new(tag, vr, self.uid(value))
            else:
                out.add(element)
        return out


def mark_deidentified(ds: Dataset, pixels_cleaned: bool = False) -> None:
    """Patient Identity Removed and the method, as text and as codes (CID 7050)."""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEIDENTIFICATION_METHOD
    codes = [BASIC_PROFILE] + ([CLEAN_PIXEL_OPTION] if pixels_cleaned else [])
    items = []
    for value, scheme, meaning in codes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = "REMOVED"


def burned_in_text_possible(header: Dataset | None, regions: tuple[UltrasoundRegion, ...]) -> bool:
    """Whether pixels may carry burned-in identifiers: the source says YES, or it is an
    ultrasound screen (regions present) that does not say NO (scanners often leave it out)."""
    if header is None:
        return False
    flag = str(header.get("BurnedInAnnotation", "") or "").upper()
    if flag == "YES":
        return True
    return flag != "NO" and bool(regions)


def blank_outside_tissue(
    pixels: np.ndarray,
    regions: tuple[UltrasoundRegion, ...] = (),
    area: TissueArea | None = None,
) -> np.ndarray:
    """Zero every pixel that is not tissue (DICOM PS3.15 Clean Pixel Data): everything outside
    the B-mode panels, where scanners burn in names, codes, dates and institutions, and the
    text and marks drawn inside them. Doppler colour is kept: it is echo data.

    area: the tissue area of these pixels (engine.tissue; found now from the pixels and
    regions when not given). Raises ExportError when no tissue area can be found: then the
    annotation cannot be located and the pixels cannot be shown de-identified."""
    if area is None:
        area = find_tissue_area(Image(pixels=pixels, regions=regions))
    if not area.found:
        raise ExportError(
            "de-identification",
            f"the pixels may carry burned-in annotation and no tissue area could be found in "
            f"them ({area.reason}), so the text cannot be blanked; export without images or "
            "use --keep-identifiers",
        )
    keep = area.panel_union & ~(area.overlay & ~area.colour)
    out = pixels.copy()
    out[~keep] = 0
    return out


def blanking_note(area: TissueArea) -> str:
    """What was blanked, for the report's notes."""
    where = (
        "the ultrasound tissue region"
        if all(p.source == "region tags" for p in area.panels)
        else f"the tissue area found in the pixels ({len(area.panels)} panel(s))"
    )
    drawn_inside = (area.overlay & ~area.colour).any()
    inside = ", and so were the text and marks drawn inside it" if drawn_inside else ""
    return f"everything outside {where} was blanked{inside}"
