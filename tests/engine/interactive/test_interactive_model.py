"""The shipped interactive bundle on onnxruntime: encode once, segment per click.

These tests need resources/models/interactive (make model-interactive); without it they
fail, they never skip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import BundleError
from engine.interactive import Box, Click, InteractiveModel, iou, read_interactive_bundle
from engine.interactive.model import (
    interactive_bundle_dir,
    model_input,
    prompted_region,
    to_model_frame,
)


@pytest.fixture(scope="module")
def model() -> InteractiveModel:
    return InteractiveModel()  # the shipped bundle; BundleError (a failure) when missing


def dark_disc(shape=(180, 240), centre=(90, 140), radius=30, seed=0):  # noqa: ANN001, ANN201
    """A hypoechoic (dark) round lesion in brighter noisy tissue, as ultrasound shows most
    lesions. (The shipped model outlines a bright disc on black at IoU 0.44 only: see
    docs/interactive.md.)"""
    rng = np.random.default_rng(seed)
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    mask = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    image = np.where(mask, 40.0, 150.0) + rng.normal(0, 12, shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def test_shipped_bundle_is_interactive_and_small() -> None:
    spec = read_interactive_bundle()
    raw = json.loads((interactive_bundle_dir() / "model.json").read_text())
    assert raw["task"] == "interactive"
    assert 128 <= spec.size <= 192
    size = sum(p.stat().st_size for p in (spec.encoder, spec.decoder))
    assert size < 20 * 1024 * 1024
    assert "BUSI" in raw["card"]["training_data"] and "Al-Dhabyani" in raw["card"]["training_data"]


def test_one_click_inside_a_dark_disc_outlines_it(model: InteractiveModel) -> None:
    image, mask = dark_disc()
    result = model.encode(image).segment([Click(90, 140)])
    assert result.mask.shape == mask.shape and result.mask.dtype == np.uint8
    assert iou(result.mask, mask) > 0.7


def test_segment_maps_clicks_into_the_letterboxed_frame(model: InteractiveModel) -> None:
    """A disc off-centre in a tall image: the mask lands where the disc is."""
    image, mask = dark_disc(shape=(300, 140), centre=(220, 60), radius=25)
    result = model.encode(image).segment([Click(220, 60)])
    assert iou(result.mask, mask) > 0.7
    _, frame = model_input(image, model.spec)
    r, c = to_model_frame(0, 0, frame)
    assert r == pytest.approx(-0.5 + (0.5 * frame.height / 300))
    r, c = to_model_frame(299.5, 139.5, frame)
    assert r == pytest.approx(frame.top + frame.height - 0.5, abs=1e-6)
    assert c == pytest.approx(frame.left + frame.width - 0.5, abs=1e-6)


def test_negative_click_and_previous_mask_are_used(model: InteractiveModel) -> None:
    """Two dark discs joined by a dark bridge: a click in A spills into B; a negative click in
    B (with the previous mask) takes some of B away and keeps A."""
    rows, cols = np.ogrid[:160, :200]
    a = (rows - 80) ** 2 + (cols - 70) ** 2 <= 25**2
    b = (rows - 80) ** 2 + (cols - 135) ** 2 <= 25**2
    dark = a | b | ((abs(rows - 80) <= 8) & (cols > 70) & (cols < 135))
    noise = np.random.default_rng(0).normal(0, 12, dark.shape)
    image = np.clip(np.where(dark, 40, 150) + noise, 0, 255).astype(np.uint8)
    encoded = model.encode(image)
    first = encoded.segment([Click(80, 70)])
    assert (first.mask & b).sum() > 0.2 * b.sum()  # the spill
    again = encoded.segment([Click(80, 70), Click(80, 135, False)], previous=first.mask)
    assert (again.mask & b).sum() < (first.mask & b).sum()
    assert (again.mask & a).sum() > 0.95 * a.sum()


def test_a_box_alone_is_a_prompt(model: InteractiveModel) -> None:
    image, mask = dark_disc()
    result = model.encode(image).segment([], box=Box(55, 105, 125, 175))
    assert iou(result.mask, mask) > 0.6


def test_previous_mask_of_another_size_is_refused(model: InteractiveModel) -> None:
    image, _ = dark_disc()
    from engine.errors import ImageError

    with pytest.raises(ImageError, match="previous mask"):
        model.encode(image).segment([Click(5, 5)], previous=np.zeros((10, 10), np.uint8))


def test_missing_or_foreign_bundle_is_a_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="model.json is missing"):
        read_interactive_bundle(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"task": "image"}))
    with pytest.raises(BundleError, match="not 'interactive'"):
        read_interactive_bundle(tmp_path)


def test_prompted_region_keeps_the_clicked_component() -> None:
    mask = np.zeros((20, 20), bool)
    mask[2:6, 2:6] = True  # clicked
    mask[12:18, 12:18] = True  # not clicked
    positive = np.zeros((20, 20), np.float32)
    positive[3, 3] = 1
    keep = prompted_region(mask, positive, np.zeros((20, 20), np.float32))
    assert keep[2:6, 2:6].all() and keep[1, 3] == 1 and not keep[12:18, 12:18].any()
    box = np.zeros((20, 20), np.float32)
    box[10:20, 10:20] = 1  # a box alone selects what is inside it
    keep = prompted_region(mask, np.zeros((20, 20), np.float32), box)
    assert keep[12:18, 12:18].all() and not keep[2:6, 2:6].any()
    nowhere = np.zeros((20, 20), np.float32)
    nowhere[0, 19] = 1  # a click on background: nothing is dropped
    assert prompted_region(mask, nowhere, box * 0).all()
