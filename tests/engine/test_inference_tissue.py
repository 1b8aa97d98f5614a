"""The shipped model on scanner screens: lesions only inside tissue, never across a seam."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.synth.scanner_layouts import draw_annotations, render_layout
from engine.tissue import find_tissue_area
from engine.types import Image


def _check_inside_panels(image: Image, mask: np.ndarray) -> None:
    area = find_tissue_area(image)
    assert area.found
    assert not mask[~area.panel_union].any(), "lesion pixels outside every panel"
    labels, count = ndimage.label(mask)
    for index in range(1, count + 1):
        lesion = labels == index
        touched = [i for i, p in enumerate(area.panels) if (lesion & p.mask).any()]
        assert len(touched) == 1, f"lesion {index} spans panels {touched}"


def test_ge_split_screen_lesions_stay_in_one_half(default_model) -> None:  # noqa: ANN001
    from pydicom.data import get_testdata_file

    from engine.io import load_image

    path = get_testdata_file("US1_UNCR.dcm")
    assert path is not None, "pydicom-data is missing: install the test extra"
    image = load_image(path)
    prediction = default_model.predict(image)
    _check_inside_panels(image, prediction.mask)
    assert not prediction.mask[:100].any() and not prediction.mask[345:].any()  # text rows


@pytest.mark.parametrize("kind", ["split", "dual", "triple", "sector", "doppler", "cropped"])
def test_synthetic_screens_lesions_stay_in_their_panel(default_model, kind: str) -> None:  # noqa: ANN001
    layout = render_layout(kind, 11)
    photometric = "RGB" if layout.pixels.ndim == 3 else "MONOCHROME2"
    image = Image(pixels=layout.pixels, photometric=photometric)
    prediction = default_model.predict(image, tta=False)
    _check_inside_panels(image, prediction.mask)
    assert not prediction.mask[layout.text & ~np.logical_or.reduce(layout.panels)].any()


def test_calipers_and_labels_do_not_drive_the_model(default_model, node_sample) -> None:  # noqa: ANN001
    from engine.metrics import dice

    gray = node_sample.image.astype(np.float64) / 255.0
    annotated, drawn = draw_annotations(gray, np.random.default_rng(2))
    clean = default_model.predict(Image(pixels=node_sample.image), tta=False)
    marked = default_model.predict(
        Image(pixels=np.rint(annotated * 255).astype(np.uint8)), tta=False
    )
    assert drawn.sum() > 50
    assert dice(clean.mask, marked.mask) > 0.9
