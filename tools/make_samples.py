"""Regenerate the bundled sample studies in resources/samples (synthetic, seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.atomic import write_png_atomic
from engine.synth.dicom_out import write_ultrasound_dicom
from engine.synth.nodes import generate_node_image

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


if __name__ == "__main__":
    main()
