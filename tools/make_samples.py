"""Regenerate the bundled sample studies in resources/samples (synthetic, seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.atomic import write_csv_atomic, write_png_atomic
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.kidney_ct import generate_kidney_ct
from engine.synth.nifti_out import write_nifti
from engine.synth.nodes import generate_node_image
from engine.synth.scinti import generate_scinti
from engine.synth.skin_pair import generate_skin_pair

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"


def main() -> None:
    benign = generate_node_image(np.random.default_rng(101), label="benign", frame=True)
    write_ultrasound_dicom(
        SAMPLES / "sample_node.dcm",
        benign.image,
        benign.spacing_mm,
        benign.region,
        patient_name="SYNTHETIC^BENIGN",
        patient_id="SYN-0101",
    )
    malignant = generate_node_image(np.random.default_rng(109), label="malignant", frame=True)
    write_png_atomic(SAMPLES / "sample_node_malignant.png", malignant.image)
    # One case of each other kind the shipped models read: a study is a folder of files named
    # by view, with its pixel size in meta.csv (PNG carries none).
    scan = generate_scinti(np.random.default_rng(23), label="metastatic")
    _study(
        "sample_bone_scan",
        {"anterior": scan.anterior, "posterior": scan.posterior},
        {"spacing_mm": f"{scan.spacing_mm:.6f}"},
    )
    pair = generate_skin_pair(np.random.default_rng(31), label="malignant")
    _study(
        "sample_skin_pair",
        {"photo": pair.photo, "us": pair.us},
        {
            "photo_spacing_mm": f"{pair.photo_spacing_mm:.6f}",
            "us_spacing_mm": f"{pair.us_spacing_mm:.6f}",
        },
    )
    ct = generate_kidney_ct(np.random.default_rng(5), label="malignant")
    write_nifti(SAMPLES / "sample_kidney_ct.nii.gz", ct.volume, ct.spacing_mm)


def _study(name: str, views: dict[str, np.ndarray], meta: dict[str, str]) -> None:
    for view, pixels in views.items():
        write_png_atomic(SAMPLES / name / f"{view}.png", pixels)
    write_csv_atomic(SAMPLES / name / "meta.csv", ("case", *meta), [(name, *meta.values())])


if __name__ == "__main__":
    main()
