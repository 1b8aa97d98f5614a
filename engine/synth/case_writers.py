"""Per-kind writers: one synthetic case -> files in the canonical folder layout.

Single-view kinds write images/<case>.<ext> and masks/<case>.<ext>. Multi-view kinds write
images/<case>_<view>.png and masks/<case>_<view>.png and list them in views.csv
(case,view,file,mask; paths relative to the data set root). Every kind adds one meta.csv row
per case with the ground truth a reader may want (pixel size, lesion size, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.atomic import write_png_atomic


@dataclass(frozen=True)
class CaseRecord:
    label: str
    meta: dict[str, object]
    views: tuple[tuple[str, str, str], ...] = field(default=())  # (view, image, mask) relative


@dataclass(frozen=True)
class KindSpec:
    """How to name, draw and write the cases of one synthetic kind."""

    prefix: str
    shift_prefix: str
    classes: tuple[str, ...]
    meta_columns: tuple[str, ...]
    write_case: Callable[..., CaseRecord]  # (root, case, rng, label, shift, dicom) -> record
    views: tuple[str, ...] = ()
    mask_labels: tuple[tuple[str, int], ...] = ()  # written as mask_labels.csv when not 0/255


def _nodes(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth.nodes import generate_node_image

    return _ultrasound_case(root, case, rng, label, shift, dicom, generate_node_image)


def _breast(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth.breast import generate_breast_image

    return _ultrasound_case(root, case, rng, label, shift, dicom, generate_breast_image)


def _ultrasound_case(root, case, rng, label, shift, dicom, generate) -> CaseRecord:  # noqa: ANN001, PLR0913
    """One B-mode case of a generator with the nodes' signature: PNG or calibrated DICOM."""
    from engine.synth.nodes import DEFAULT_PROFILE, SHIFTED_PROFILE

    sample = generate(rng, label=label, profile=SHIFTED_PROFILE if shift else DEFAULT_PROFILE)
    if dicom:
        from engine.synth.dicom_out import write_ultrasound_dicom

        write_ultrasound_dicom(
            root / "images" / f"{case}.dcm",
            sample.image,
            sample.spacing_mm,
            sample.region,
            patient_name=f"SYNTHETIC^{case}",
            patient_id=case,
            uid_entropy=f"lesionlens-synth/{case}",
        )
    else:
        write_png_atomic(root / "images" / f"{case}.png", sample.image)
    write_png_atomic(root / "masks" / f"{case}.png", sample.mask)
    r0, c0, r1, c1 = sample.region
    meta = {
        "spacing_mm": f"{sample.spacing_mm:.6f}",
        "row0": r0,
        "col0": c0,
        "row1": r1,
        "col1": c1,
    }
    return CaseRecord(sample.label, meta)


def _skin(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth.skin import generate_skin_image
    from engine.synth.skin_surface import DEFAULT_CAMERA, SHIFTED_CAMERA

    sample = generate_skin_image(
        rng, label=label, profile=SHIFTED_CAMERA if shift else DEFAULT_CAMERA
    )
    write_png_atomic(root / "images" / f"{case}.png", sample.image)
    write_png_atomic(root / "masks" / f"{case}.png", sample.mask)
    meta = {
        "spacing_mm": f"{sample.spacing_mm:.6f}",
        "diameter_mm": f"{sample.lesion.diameter_mm:.3f}",
        "thickness_mm": f"{sample.lesion.thickness_mm:.3f}",
    }
    return CaseRecord(sample.label, meta)


def _views(root: Path, case: str, images: dict[str, np.ndarray], masks: dict[str, np.ndarray]):  # noqa: ANN202
    rows = []
    for view, image in images.items():
        name = f"{case}_{view}.png"
        write_png_atomic(root / "images" / name, image)
        write_png_atomic(root / "masks" / name, masks[view])
        rows.append((view, f"images/{name}", f"masks/{name}"))
    return tuple(rows)


def _skin_pair(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth import skin_pair as sp

    sample = sp.generate_skin_pair(
        rng,
        label=label,
        camera_profile=sp.SHIFTED_PHOTO_CAMERA if shift else sp.PHOTO_CAMERA,
        us_profile=sp.SHIFTED_SKIN_US if shift else sp.SKIN_US,
    )
    views = _views(
        root,
        case,
        {"photo": sample.photo, "us": sample.us},
        {"photo": sample.photo_mask, "us": sample.us_mask},
    )
    meta = {
        "photo_spacing_mm": f"{sample.photo_spacing_mm:.6f}",
        "us_spacing_mm": f"{sample.us_spacing_mm:.6f}",
        "diameter_mm": f"{sample.lesion.diameter_mm:.3f}",
        "thickness_mm": f"{sample.lesion.thickness_mm:.3f}",
    }
    return CaseRecord(sample.label, meta, views)


def _scinti(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth.scinti import DEFAULT_CAMERA, SHIFTED_CAMERA, generate_scinti

    sample = generate_scinti(rng, label=label, profile=SHIFTED_CAMERA if shift else DEFAULT_CAMERA)
    views = _views(
        root,
        case,
        {"anterior": sample.anterior, "posterior": sample.posterior},
        {"anterior": sample.anterior_mask, "posterior": sample.posterior_mask},
    )
    meta = {
        "spacing_mm": f"{sample.spacing_mm:.6f}",
        "n_lesions": len(sample.lesions),
        "anterior_counts": int(sample.anterior_counts.sum()),
        "posterior_counts": int(sample.posterior_counts.sum()),
    }
    return CaseRecord(sample.label, meta, views)


def _kidney_ct(root: Path, case: str, rng, label: str, shift: bool, dicom: bool) -> CaseRecord:  # noqa: ANN001
    from engine.synth.kidney_ct import DEFAULT_CT, SHIFTED_CT, generate_kidney_ct
    from engine.synth.nifti_out import write_nifti

    sample = generate_kidney_ct(rng, label=label, profile=SHIFTED_CT if shift else DEFAULT_CT)
    write_nifti(root / "images" / f"{case}.nii.gz", sample.volume, sample.spacing_mm)
    write_nifti(root / "masks" / f"{case}.nii.gz", sample.labels, sample.spacing_mm)
    meta = {
        "spacing_z_mm": sample.spacing_mm[0],
        "spacing_y_mm": sample.spacing_mm[1],
        "spacing_x_mm": sample.spacing_mm[2],
        "tumour_kind": sample.tumour["kind"],
        "tumour_side": sample.tumour["side"],
        "tumour_diameter_mm": f"{sample.tumour['diameter_mm']:.2f}",
    }
    return CaseRecord(sample.label, meta)


KIND_SPECS: dict[str, KindSpec] = {
    "nodes": KindSpec(
        "node",
        "shift",
        ("benign", "malignant"),
        ("spacing_mm", "row0", "col0", "row1", "col1"),
        _nodes,
    ),
    "breast": KindSpec(
        "breast",
        "breastshift",
        ("benign", "malignant"),
        ("spacing_mm", "row0", "col0", "row1", "col1"),
        _breast,
    ),
    "skin": KindSpec(
        "skin",
        "skinshift",
        ("benign", "malignant"),
        ("spacing_mm", "diameter_mm", "thickness_mm"),
        _skin,
    ),
    "skin-pair": KindSpec(
        "pair",
        "pairshift",
        ("benign", "malignant"),
        ("photo_spacing_mm", "us_spacing_mm", "diameter_mm", "thickness_mm"),
        _skin_pair,
        views=("photo", "us"),
    ),
    "scinti": KindSpec(
        "scinti",
        "scintishift",
        ("normal", "metastatic"),
        ("spacing_mm", "n_lesions", "anterior_counts", "posterior_counts"),
        _scinti,
        views=("anterior", "posterior"),
    ),
    "kidney-ct": KindSpec(
        "kidney",
        "kidneyshift",
        ("benign", "malignant"),
        (
            "spacing_z_mm",
            "spacing_y_mm",
            "spacing_x_mm",
            "tumour_kind",
            "tumour_side",
            "tumour_diameter_mm",
        ),
        _kidney_ct,
        mask_labels=(("background", 0), ("kidney", 1), ("tumour", 2)),
    ),
}
