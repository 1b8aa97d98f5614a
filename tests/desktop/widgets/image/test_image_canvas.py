"""The canvas renders CaseState: change the state, check the pyqtgraph items."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from desktop.models.image.state import CaseState
from desktop.widgets.image.canvas import ImageCanvas
from engine.types import Image

ITEMS_PER_FINDING = 4  # contour, long axis, short axis, number label


@pytest.fixture
def canvas(qtbot):  # noqa: ANN001, ANN201
    widget = ImageCanvas(CaseState())
    qtbot.addWidget(widget)
    widget.resize(400, 400)
    widget.show()
    return widget


def test_overlay_and_contours_follow_analysis(canvas, known_analysis) -> None:  # noqa: ANN001
    canvas.state.show_image(known_analysis.image, analysis=known_analysis)
    alpha = canvas.overlay_item.image[..., 3]
    mask = known_analysis.prediction.mask > 0
    assert alpha.shape == mask.shape
    assert (alpha[mask] > 0).all() and not alpha[~mask].any()
    assert len(canvas.finding_items) == ITEMS_PER_FINDING * len(known_analysis.findings)
    assert len(canvas.scale_items) == 2  # calibrated image: bar and its label


def test_contour_sits_on_mask_edge(canvas, known_analysis) -> None:  # noqa: ANN001
    """Alignment: every contour vertex lies within a pixel of a mask edge, in view coords."""
    canvas.state.show_image(known_analysis.image, analysis=known_analysis)
    x, y = canvas.finding_items[0].getData()
    mask = known_analysis.prediction.mask > 0
    rows, cols = np.floor(y).astype(int), np.floor(x).astype(int)
    inside = mask[rows.clip(0, mask.shape[0] - 1), cols.clip(0, mask.shape[1] - 1)]
    assert 0.2 < inside.mean() < 0.8  # half the vertices land inside pixels, half outside


def test_display_settings_update_items(canvas, known_analysis) -> None:  # noqa: ANN001
    state = canvas.state
    state.show_image(known_analysis.image, analysis=known_analysis)
    state.set_overlay_opacity(0.0)
    assert not canvas.overlay_item.image[..., 3].any()
    state.set_contours_visible(False)
    assert not any(item.isVisible() for item in canvas.finding_items)
    state.set_contours_visible(True)
    assert all(item.isVisible() for item in canvas.finding_items)


def test_new_image_clears_overlay(canvas, known_analysis) -> None:  # noqa: ANN001
    canvas.state.show_image(known_analysis.image, analysis=known_analysis)
    canvas.state.show_image(Image(pixels=np.zeros((50, 60), np.uint8)))
    assert canvas.overlay_item.image is None and canvas.finding_items == []
    assert canvas.scale_items == []  # uncalibrated: no bar pretending to be mm


def test_sixteen_bit_image_gets_robust_levels(canvas) -> None:  # noqa: ANN001
    pixels = np.random.default_rng(1).integers(0, 4000, size=(64, 80)).astype(np.uint16)
    pixels[0, 0] = 65535
    canvas.state.show_image(Image(pixels=pixels, spacing_mm=(0.2, 0.2)))
    lo, hi = canvas.image_item.getLevels()
    assert hi < 4000 and lo < 100


def test_cursor_readout(canvas, known_analysis, qtbot) -> None:  # noqa: ANN001
    canvas.state.show_image(known_analysis.image)
    scene_pos = canvas.view.mapViewToScene(QPointF(10.5, 20.5))
    with qtbot.waitSignal(canvas.cursor_moved) as blocker:
        canvas.scene().sigMouseMoved.emit(scene_pos)
    assert blocker.args[0].startswith("row 20  col 10  value ")


def test_colour_image_shown_as_rgb(canvas) -> None:  # noqa: ANN001
    pixels = np.zeros((40, 50, 3), np.uint8)
    pixels[..., 0] = 200
    canvas.state.show_image(Image(pixels=pixels, photometric="RGB"))
    assert canvas.image_item.image.shape == (40, 50, 3)
    assert tuple(canvas.image_item.getLevels()) == (0.0, 255.0)
