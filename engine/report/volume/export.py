"""Export one analysed volume: a two-segment DICOM SEG (kidney, tumour), the result as JSON,
and the label map as NIfTI; built in memory first, then each file written atomically.

The SEG needs DICOM instances to reference. A volume read from a CT/MR series references
its own slices (de-identified through the export's Deidentifier by default); a NIfTI volume
gets a derived CT series (engine.report.ct_series) written beside the SEG, as a PNG gets a
Secondary Capture.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from engine.atomic import write_bytes_atomic
from engine.report.ct_series import derived_ct_series
from engine.report.deidentify import Deidentifier, mark_deidentified
from engine.report.export import ExportResult
from engine.report.model_info import ModelInfo
from engine.report.seg import volume_seg
from engine.types import Volume, VolumePrediction

RAS_FROM_LPS = np.array([-1.0, -1.0, 1.0])
DERIVED_SERIES_FOLDER = "source_ct"


@dataclass(frozen=True)
class VolumeExportRequest:
    """What to write where (None = not wanted). source_series: the folder for the derived
    CT series of a NIfTI volume (default: source_ct/ beside the SEG)."""

    seg: Path | None = None
    json: Path | None = None
    labels_nifti: Path | None = None
    source_series: Path | None = None
    deidentify: bool = True
    corrected: bool = False  # the labels were corrected by a reader (SEG: semi-automatic)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.seg, self.json, self.labels_nifti) if p is not None)


def volume_record(volume: Volume, prediction: VolumePrediction, deidentify: bool = True) -> dict:
    """The analysis as plain JSON: volumes in mL, both classifiers, the radiomics features."""
    record: dict[str, Any] = {
        "model_id": prediction.model_id,
        "shape": list(prediction.labels.shape),
        "spacing_mm": list(volume.spacing_mm),
        "label_names": list(prediction.label_names),
        "volumes_ml": prediction.volumes_ml,
        "deep_probabilities": prediction.probabilities,
        "deep_label": prediction.label,
        "radiomics_probabilities": prediction.radiomics_probabilities,
        "radiomics_label": (
            max(prediction.radiomics_probabilities, key=prediction.radiomics_probabilities.get)
            if prediction.radiomics_probabilities
            else None
        ),
        "radiomics_features": prediction.features,
        "intended_use": "research use; not for diagnosis",
    }
    if not deidentify:
        record["source"] = volume.source
    return record


def export_volume(
    volume: Volume,
    prediction: VolumePrediction,
    model: ModelInfo,
    request: VolumeExportRequest,
    deidentifier: Deidentifier | None = None,
) -> ExportResult:
    outputs: list[tuple[Path, bytes]] = []
    notes: list[str] = []
    if request.seg is not None:
        names = prediction.label_names[1:]
        if Path(volume.source).is_dir():
            deid = (deidentifier or Deidentifier()) if request.deidentify else None
            seg = volume_seg(
                volume, prediction.labels, names, model, request.corrected, deidentifier=deid
            )
            if deid is not None:
                mark_deidentified(seg)
                notes.append("Identifiers removed (DICOM PS3.15 basic profile).")
        else:
            series = derived_ct_series(volume)
            folder = request.source_series or request.seg.parent / DERIVED_SERIES_FOLDER
            outputs += [
                (folder / f"slice{k + 1:04d}.dcm", dicom_bytes(ds)) for k, ds in enumerate(series)
            ]
            seg = volume_seg(
                volume, prediction.labels, names, model, request.corrected, headers=series
            )
            notes.append(f"The SEG references a CT series converted from the NIfTI ({folder}).")
        outputs.append((request.seg, dicom_bytes(seg)))
    if request.json is not None:
        import json

        record = volume_record(volume, prediction, request.deidentify)
        record["labels"] = "corrected by the reader" if request.corrected else "model output"
        outputs.append((request.json, json.dumps(record, indent=2).encode("utf-8")))
    if request.labels_nifti is not None:
        outputs.append((request.labels_nifti, label_nifti_bytes(volume, prediction.labels)))
    written = tuple(write_bytes_atomic(path, data) for path, data in outputs)
    return ExportResult(written=written, notes=tuple(notes))


def label_nifti_bytes(volume: Volume, labels: np.ndarray) -> bytes:
    """The label map (uint8) as .nii.gz bytes on the volume's own geometry (RAS affine)."""
    import nibabel as nib

    row, col = np.asarray(volume.orientation[:3]), np.asarray(volume.orientation[3:])
    normal = np.asarray(volume.slice_normal)
    dz, dy, dx = volume.spacing_mm
    affine = np.eye(4)
    affine[:3, 0] = row * dx * RAS_FROM_LPS
    affine[:3, 1] = col * dy * RAS_FROM_LPS
    affine[:3, 2] = normal * dz * RAS_FROM_LPS
    affine[:3, 3] = np.asarray(volume.origin) * RAS_FROM_LPS
    image = nib.Nifti1Image(np.transpose(labels.astype(np.uint8), (2, 1, 0)), affine)
    image.header.set_xyzt_units("mm")
    image.header.set_qform(affine, code=1)
    image.header.set_sform(affine, code=1)
    return gzip.compress(image.to_bytes(), mtime=0)


def dicom_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
