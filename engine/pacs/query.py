"""What a PACS search asks and what it answers, the same for DICOMweb and classic DICOM.

StudyQuery becomes QIDO-RS query parameters or a C-FIND identifier; both answers come back
as pydicom Datasets (QIDO's DICOM JSON is decoded with Dataset.from_json) and are read into
StudyResult / SeriesResult / InstanceRef here, so the two protocols cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydicom.dataset import Dataset

from engine.errors import LesionLensError

_DATE = re.compile(r"^\d{8}$")
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
STUDY_FIELDS = (
    "StudyInstanceUID",
    "PatientID",
    "PatientName",
    "StudyDate",
    "StudyTime",
    "StudyDescription",
    "AccessionNumber",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)
SERIES_FIELDS = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "Modality",
    "SeriesNumber",
    "SeriesDescription",
    "NumberOfSeriesRelatedInstances",
)
INSTANCE_FIELDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID")


class QueryError(LesionLensError, ValueError):
    """A search field has a value no PACS would accept (e.g. a date that is not YYYYMMDD)."""


def is_uid(text: str) -> bool:
    return bool(_UID.match(text)) and len(text) <= 64


def check_date(text: str, what: str) -> str:
    text = text.strip().replace("-", "")
    if not text:
        return ""
    if not _DATE.match(text):
        raise QueryError(f"{what} {text!r}: use YYYYMMDD")
    try:
        dt.datetime.strptime(text, "%Y%m%d")
    except ValueError as exc:
        raise QueryError(f"{what} {text!r}: not a date") from exc
    return text


@dataclass(frozen=True)
class StudyQuery:
    """Empty fields match anything. patient_name may use * wildcards (DICOM matching)."""

    patient_id: str = ""
    patient_name: str = ""
    date_from: str = ""  # YYYYMMDD, inclusive
    date_to: str = ""
    modality: str = ""
    accession: str = ""
    limit: int = 200

    def checked(self) -> StudyQuery:
        date_from = check_date(self.date_from, "from date")
        date_to = check_date(self.date_to, "to date")
        if date_from and date_to and date_from > date_to:
            raise QueryError(f"from date {date_from} is after to date {date_to}")
        return StudyQuery(
            patient_id=self.patient_id.strip(),
            patient_name=self.patient_name.strip(),
            date_from=date_from,
            date_to=date_to,
            modality=self.modality.strip().upper(),
            accession=self.accession.strip(),
            limit=self.limit,
        )

    @property
    def date_range(self) -> str:
        if not (self.date_from or self.date_to):
            return ""
        if self.date_from == self.date_to:
            return self.date_from
        return f"{self.date_from}-{self.date_to}"

    def filters(self) -> dict[str, str]:
        """The fields that are set, as DICOM keyword -> matching value."""
        values = {
            "PatientID": self.patient_id,
            "PatientName": self.patient_name,
            "StudyDate": self.date_range,
            "ModalitiesInStudy": self.modality,
            "AccessionNumber": self.accession,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class StudyResult:
    study_uid: str
    patient_id: str
    patient_name: str
    study_date: str
    description: str
    accession: str
    modalities: tuple[str, ...]
    series_count: int | None
    instance_count: int | None

    def to_json(self) -> dict:
        return {
            "StudyInstanceUID": self.study_uid,
            "PatientID": self.patient_id,
            "PatientName": self.patient_name,
            "StudyDate": self.study_date,
            "StudyDescription": self.description,
            "AccessionNumber": self.accession,
            "ModalitiesInStudy": list(self.modalities),
            "NumberOfStudyRelatedSeries": self.series_count,
            "NumberOfStudyRelatedInstances": self.instance_count,
        }


@dataclass(frozen=True)
class SeriesResult:
    study_uid: str
    series_uid: str
    modality: str
    number: int | None
    description: str
    instance_count: int | None


@dataclass(frozen=True)
class InstanceRef:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str = ""


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    return str(value).strip()


def _count(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _uid(ds: Dataset, keyword: str) -> str:
    """A UID the answer must carry; ValueError (a malformed answer) when absent or invalid.
    UIDs become folder and file names, so nothing but digits and dots passes."""
    value = _text(ds, keyword)
    if not is_uid(value):
        raise ValueError(f"{keyword} {value!r} is missing or not a UID")
    return value


def study_result(ds: Dataset) -> StudyResult:
    modalities = ds.get("ModalitiesInStudy") or ()
    if isinstance(modalities, str):
        modalities = tuple(m for m in modalities.split("\\") if m)
    return StudyResult(
        study_uid=_uid(ds, "StudyInstanceUID"),
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        study_date=_text(ds, "StudyDate"),
        description=_text(ds, "StudyDescription"),
        accession=_text(ds, "AccessionNumber"),
        modalities=tuple(str(m) for m in modalities),
        series_count=_count(ds, "NumberOfStudyRelatedSeries"),
        instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
    )


def series_result(ds: Dataset, study_uid: str) -> SeriesResult:
    return SeriesResult(
        study_uid=_text(ds, "StudyInstanceUID") or study_uid,
        series_uid=_uid(ds, "SeriesInstanceUID"),
        modality=_text(ds, "Modality"),
        number=_count(ds, "SeriesNumber"),
        description=_text(ds, "SeriesDescription"),
        instance_count=_count(ds, "NumberOfSeriesRelatedInstances"),
    )


def instance_ref(ds: Dataset, study_uid: str) -> InstanceRef:
    return InstanceRef(
        study_uid=_text(ds, "StudyInstanceUID") or study_uid,
        series_uid=_uid(ds, "SeriesInstanceUID"),
        sop_uid=_uid(ds, "SOPInstanceUID"),
        sop_class_uid=_text(ds, "SOPClassUID"),
    )
