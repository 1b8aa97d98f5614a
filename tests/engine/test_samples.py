"""The bundled samples (tools/make_samples.py) open, and each kind finds its shipped model."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.io import load_any, load_study
from engine.model_catalog import bundle_for_views, bundle_for_volume
from engine.types import Image, Volume

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.mark.parametrize(
    ("name", "views", "model_id_start"),
    [
        ("sample_bone_scan", ["anterior", "posterior"], "scinti-two-view"),
        ("sample_skin_pair", ["photo", "us"], "skin-fusion"),
    ],
)
def test_sample_studies_are_calibrated_and_have_a_model(
    name: str, views: list[str], model_id_start: str
) -> None:
    study = load_study(SAMPLES / name)
    assert study.case_id == name and sorted(study.views) == sorted(views)
    for view in study.views.values():
        assert isinstance(view, Image) and view.spacing_mm is not None  # from meta.csv
    bundle = bundle_for_views(study.views)
    assert bundle is not None and bundle.spec.model_id.startswith(model_id_start)


def test_sample_ct_is_a_volume_with_a_model() -> None:
    volume = load_any(SAMPLES / "sample_kidney_ct.nii.gz")
    assert isinstance(volume, Volume) and volume.voxels.shape == (48, 96, 128)
    assert bundle_for_volume() is not None
