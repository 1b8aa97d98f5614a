"""Smart Click box drag on the real canvas with real mouse events and the shipped bundle:
press-drag-release draws a rubber band, the box goes to the model with the clicks so far on
release (one undo step), a new box replaces the old one, and a press held without moving is
still a click."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.models.editing.smart_click import BOX_EDIT_NAME, EDIT_NAME
from desktop.models.editing.tool_state import BOX, SMART_CLICK
from desktop.models.image.state import CaseState
from desktop.widgets.image.canvas import ImageCanvas
from engine.analysis import findings_from
from engine.interactive import Box, iou
from engine.types import Analysis, Image, Prediction

SHAPE, CENTRE, RADIUS = (160, 200), (80, 100), 30
MOVE_GAP_MS = 15  # pyqtgraph drops mouse moves closer than 10 ms apart


def disc(shape, centre, radius) -> np.ndarray:  # noqa: ANN001
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


@pytest.fixture
def canvas(qtbot):  # noqa: ANN001, ANN201
    widget = ImageCanvas(CaseState())
    qtbot.addWidget(widget)
    widget.resize(600, 480)
    widget.show()
    qtbot.waitExposed(widget)
    pixels = np.where(disc(SHAPE, CENTRE, RADIUS), 40, 150).astype(np.uint8)  # a dark lesion
    image = Image(pixels)
    prediction = Prediction(
        mask=np.zeros(SHAPE, np.uint8),
        probabilities={"benign": 0.6, "malignant": 0.4},
        uncertainty=np.zeros(SHAPE, np.float32),
        model_id="ai",
    )
    widget.state.show_image(
        image, analysis=Analysis(image, prediction, findings_from(image, prediction))
    )
    widget.tools.set_tool(SMART_CLICK)
    return widget


def press_drag(qtbot, canvas, start, end):  # noqa: ANN001, ANN201
    """Press at image point `start` and move to `end` in steps, without releasing."""
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=canvas.viewport_point(*start))
    for t in np.linspace(0.2, 1.0, 5):
        qtbot.wait(MOVE_GAP_MS)
        point = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
        qtbot.mouseMove(viewport, pos=canvas.viewport_point(*point))
    qtbot.wait(MOVE_GAP_MS)


def release(qtbot, canvas, end) -> None:  # noqa: ANN001
    qtbot.mouseRelease(
        canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.viewport_point(*end)
    )


def test_a_drag_draws_a_box_that_outlines_the_lesion_in_one_undo_step(canvas, qtbot) -> None:  # noqa: ANN001
    editor, target = canvas.state.editor, disc(SHAPE, CENTRE, RADIUS)
    press_drag(qtbot, canvas, (46, 66), (114, 134))
    draft = canvas.tools.draft  # the rubber band while the button is down
    assert draft is not None and draft.kind == BOX
    assert canvas.draft_line.isVisible()
    xs, ys = canvas.draft_line.getData()
    assert len(xs) == 5  # four corners, closed
    assert abs(xs.min() - 66.5) < 1.5 and abs(xs.max() - 134.5) < 1.5  # under the mouse
    assert abs(ys.min() - 46.5) < 1.5 and abs(ys.max() - 114.5) < 1.5
    assert not editor.mask.any()  # nothing sent before the release
    release(qtbot, canvas, (114, 134))
    assert canvas.tools.draft is None and not canvas.draft_line.isVisible()
    assert iou(editor.mask, target) > 0.7
    assert editor.undo_name == BOX_EDIT_NAME
    box = canvas.controller.smart_click.box
    assert box is not None and abs(box.r0 - 46) < 1.5 and abs(box.c1 - 134) < 1.5
    assert canvas.controller.smart_click.clicks == ()
    editor.undo()  # one box, one undo step
    assert not editor.mask.any() and not editor.can_undo


def test_a_box_goes_with_the_clicks_so_far_and_a_new_box_replaces_the_old(canvas, qtbot) -> None:  # noqa: ANN001
    editor, smart = canvas.state.editor, canvas.controller.smart_click
    seen: list[tuple] = []
    model = smart.model
    real_encode = model.encode

    def encode(pixels):  # noqa: ANN001, ANN202 - records what each prompt sends
        encoded = real_encode(pixels)
        real_segment = encoded.segment

        def segment(clicks, box=None, previous=None):  # noqa: ANN001, ANN202
            seen.append((tuple(clicks), box))
            return real_segment(clicks, box=box, previous=previous)

        encoded.segment = segment
        return encoded

    model.encode = encode
    qtbot.mouseClick(
        canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.viewport_point(*CENTRE)
    )
    assert editor.undo_name == EDIT_NAME
    press_drag(qtbot, canvas, (30, 40), (130, 160))  # a loose box first ...
    release(qtbot, canvas, (130, 160))
    press_drag(qtbot, canvas, (48, 68), (112, 132))  # ... then a tighter one replaces it
    release(qtbot, canvas, (112, 132))
    assert [len(clicks) for clicks, _box in seen] == [1, 1, 1]  # the click stays with each box
    assert seen[0][1] is None
    first, second = seen[1][1], seen[2][1]
    assert isinstance(first, Box) and isinstance(second, Box)
    assert first.r0 < 35 and second.r0 > 45 and smart.box == second
    assert iou(editor.mask, disc(SHAPE, CENTRE, RADIUS)) > 0.7
    for _ in range(3):  # click, box, box: three undo steps
        assert editor.can_undo
        editor.undo()
    assert not editor.mask.any() and not editor.can_undo


def test_a_press_held_without_moving_is_a_click_not_a_box(canvas, qtbot) -> None:  # noqa: ANN001
    viewport, at = canvas.viewport(), canvas.viewport_point(*CENTRE)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=at)
    qtbot.wait(600)  # pyqtgraph makes any move after 0.5 s held a drag
    qtbot.mouseMove(viewport, pos=at + QPoint(2, 1))
    qtbot.wait(MOVE_GAP_MS)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=at + QPoint(2, 1))
    smart = canvas.controller.smart_click
    assert [c.positive for c in smart.clicks] == [True] and smart.box is None
    assert canvas.state.editor.undo_name == EDIT_NAME and canvas.tools.draft is None
