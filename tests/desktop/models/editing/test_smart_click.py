"""The Smart Click tool: clicks -> an ordinary mask, one undo step per click.

The series logic runs on a stand-in model (discs around the clicks) so it is checked
exactly; the canvas test clicks the real shipped bundle (it fails when the bundle is
missing)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop.models.editing.smart_click import EDIT_NAME, SmartClick
from desktop.models.editing.tool_controller import ToolController
from desktop.models.editing.tool_state import BRUSH, SMART_CLICK, ToolState
from desktop.models.image.state import CaseState
from desktop.widgets.image.canvas import ImageCanvas
from engine.analysis import findings_from
from engine.interactive import Segmentation, iou
from engine.types import Analysis, Image, Prediction


def disc(shape, centre, radius) -> np.ndarray:  # noqa: ANN001
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


class DiscModel:
    """Stand-in for InteractiveModel: a disc of radius 10 per positive click, minus one of
    radius 5 per negative click; counts encodings."""

    model_id = "disc-model"

    def __init__(self) -> None:
        self.encodings = 0

    def encode(self, pixels):  # noqa: ANN001, ANN201
        self.encodings += 1
        shape = pixels.shape[:2]

        class Encoded:
            def segment(self, clicks, box=None, previous=None):  # noqa: ANN001, ANN202
                mask = np.zeros(shape, bool)
                for c in clicks:
                    if c.positive:
                        mask |= disc(shape, (c.row, c.col), 10)
                for c in clicks:
                    if not c.positive:
                        mask &= ~disc(shape, (c.row, c.col), 5)
                m = mask.astype(np.uint8)
                return Segmentation(m, m.astype(np.float32), m > 0, 1.0)

        return Encoded()


def spill_pixels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """160×200 speckled tissue with two dark discs A (centre column 70) and B (135), joined by
    a dark bridge: a click in A spills into B, the case a negative click is for."""
    rows, cols = np.ogrid[:160, :200]
    a = (rows - 80) ** 2 + (cols - 70) ** 2 <= 25**2
    b = (rows - 80) ** 2 + (cols - 135) ** 2 <= 25**2
    dark = a | b | ((abs(rows - 80) <= 8) & (cols > 70) & (cols < 135))
    noise = np.random.default_rng(0).normal(0, 12, dark.shape)
    return np.clip(np.where(dark, 40, 150) + noise, 0, 255).astype(np.uint8), a, b


def disc_case(shape=(120, 160), centre=(60, 80), radius=22, ai_mask=None, pixels=None) -> CaseState:  # noqa: ANN001
    if pixels is None:
        pixels = np.where(disc(shape, centre, radius), 40, 150).astype(np.uint8)  # dark lesion
    shape = pixels.shape
    image = Image(pixels)
    mask = np.zeros(shape, np.uint8) if ai_mask is None else ai_mask.astype(np.uint8)
    prediction = Prediction(
        mask=mask,
        probabilities={"benign": 0.6, "malignant": 0.4},
        uncertainty=np.zeros(shape, np.float32),
        model_id="ai",
    )
    state = CaseState()
    analysis = Analysis(image, prediction, findings_from(image, prediction))
    state.show_image(image, analysis=analysis)
    return state


def smart_controller(state: CaseState, model=None) -> ToolController:  # noqa: ANN001
    controller = ToolController(state, ToolState())
    if model is not None:
        controller._smart = SmartClick(lambda: model)
    controller.tools.set_tool(SMART_CLICK)
    return controller


def test_each_click_is_one_undo_step_and_undo_removes_it() -> None:
    model = DiscModel()
    state = disc_case()
    controller = smart_controller(state, model)
    editor = state.editor
    controller.click((60.0, 80.0))
    assert editor.mask.sum() == disc(editor.shape, (60, 80), 10).sum()
    assert editor.undo_name == EDIT_NAME and "disc-model" in editor.assisted_by
    controller.click((60.0, 95.0))  # a second positive click grows the object
    grown = editor.mask.copy()
    controller.click((60.0, 80.0), positive=False)  # a negative one carves a hole
    assert editor.mask[60, 80] == 0 and editor.mask.sum() < grown.sum()
    assert len(controller.smart_click.clicks) == 3
    editor.undo()  # the negative click is gone ...
    assert np.array_equal(editor.mask, grown)
    controller.click((60.0, 65.0))  # ... and the series goes on from two clicks
    assert [c.positive for c in controller.smart_click.clicks] == [True, True, True]
    editor.undo()
    editor.undo()
    editor.undo()
    assert not editor.mask.any() and not editor.can_undo
    assert model.encodings == 1  # the image is encoded once


def test_another_edit_starts_a_new_series_and_keeps_other_lesions() -> None:
    model = DiscModel()
    other = disc((120, 160), (20, 20), 6)
    state = disc_case(ai_mask=other)
    controller = smart_controller(state, model)
    controller.click((60.0, 80.0))
    controller.tools.set_tool(BRUSH)
    controller.click((100.0, 140.0))  # a brush dab
    controller.tools.set_tool(SMART_CLICK)
    controller.click((60.0, 120.0))
    assert len(controller.smart_click.clicks) == 1  # a new series after the brush
    mask = state.editor.mask
    assert mask[20, 20] and mask[60, 80] and mask[60, 120] and mask[100, 140]


def test_a_first_click_on_a_lesion_re_outlines_it() -> None:
    model = DiscModel()
    state = disc_case(ai_mask=disc((120, 160), (60, 80), 30))
    controller = smart_controller(state, model)
    controller.click((60.0, 80.0))
    assert state.editor.mask.sum() == disc((120, 160), (60, 80), 10).sum()


def test_a_missing_model_is_an_error_message_not_a_crash() -> None:
    def missing():  # noqa: ANN202
        from engine.errors import BundleError

        raise BundleError("nowhere", "model.json is missing")

    state = disc_case()
    errors: list[str] = []
    state.subscribe("error", errors.append)
    controller = smart_controller(state, None)
    controller._smart = SmartClick(missing)
    controller.click((60.0, 80.0))
    assert errors and "model.json is missing" in errors[0]
    assert not state.editor.mask.any()


@pytest.fixture
def canvas(qtbot):  # noqa: ANN001, ANN201
    widget = ImageCanvas(CaseState())
    qtbot.addWidget(widget)
    widget.resize(600, 480)
    widget.show()
    qtbot.waitExposed(widget)
    state = disc_case(shape=(160, 200), centre=(80, 100), radius=30)
    widget.state.show_image(state.image, analysis=state.analysis)
    return widget


def test_clicks_on_the_canvas_outline_the_lesion_with_the_shipped_model(canvas, qtbot) -> None:  # noqa: ANN001
    canvas.tools.set_tool(SMART_CLICK)
    editor = canvas.state.editor
    target = disc(editor.shape, (80, 100), 30)
    qtbot.mouseClick(
        canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.viewport_point(80.0, 100.0)
    )
    assert iou(editor.mask, target) > 0.7 and editor.undo_name == EDIT_NAME
    editor.undo()
    assert not editor.mask.any() and not editor.can_undo


def test_right_and_shift_clicks_take_a_spill_away(qtbot) -> None:  # noqa: ANN001
    pixels, a, b = spill_pixels()
    widget = ImageCanvas(CaseState())
    qtbot.addWidget(widget)
    widget.resize(600, 480)
    widget.show()
    qtbot.waitExposed(widget)
    state = disc_case(pixels=pixels)
    widget.state.show_image(state.image, analysis=state.analysis)
    widget.tools.set_tool(SMART_CLICK)
    editor = widget.state.editor
    qtbot.mouseClick(
        widget.viewport(), Qt.MouseButton.LeftButton, pos=widget.viewport_point(80.0, 70.0)
    )
    spill = (editor.mask & b).sum()
    assert (editor.mask & a).sum() > 0.9 * a.sum() and spill > 0.2 * b.sum()
    qtbot.mouseClick(  # right click in B: a negative click
        widget.viewport(), Qt.MouseButton.RightButton, pos=widget.viewport_point(80.0, 135.0)
    )
    assert [c.positive for c in widget.controller.smart_click.clicks] == [True, False]
    after_right = editor.mask.copy()
    assert (after_right & b).sum() < spill and (after_right & a).sum() > 0.9 * a.sum()
    qtbot.mouseClick(  # Shift+click: negative too
        widget.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        widget.viewport_point(80.0, 120.0),
    )
    assert [c.positive for c in widget.controller.smart_click.clicks] == [True, False, False]
    assert editor.mask.sum() < after_right.sum()
    editor.undo()
    assert np.array_equal(editor.mask, after_right)
    editor.undo()
    assert (editor.mask & b).sum() == spill
    editor.undo()
    assert not editor.mask.any() and not editor.can_undo
    assert len(widget.state.analysis.findings) == 0


def test_the_tool_bar_offers_smart_click_beside_the_brush(qtbot) -> None:  # noqa: ANN001
    from desktop.widgets.image.edit_toolbar import EditToolBar

    state = disc_case()
    tools = ToolState()
    bar = EditToolBar(state, tools, ToolController(state, tools))
    qtbot.addWidget(bar)
    action = bar.tool_actions[SMART_CLICK]
    assert action.text() == "Smart Click" and action.shortcut().toString() == "A"
    assert action.isEnabled()  # an editable mask is open
    action.trigger()
    assert tools.tool == SMART_CLICK
    names = [a.text() for a in bar.actions()]
    assert names.index("Smart Click") > names.index("Brush")


class BoxDiscModel(DiscModel):
    """DiscModel that also answers a box: the disc inscribed in it; records every prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[tuple] = []

    def encode(self, pixels):  # noqa: ANN001, ANN201
        inner = super().encode(pixels)
        shape, prompts = pixels.shape[:2], self.prompts

        class Encoded:
            def segment(self, clicks, box=None, previous=None):  # noqa: ANN001, ANN202
                prompts.append((tuple(clicks), box))
                result = inner.segment(clicks, box, previous)
                if box is None:
                    return result
                centre = ((box.r0 + box.r1) / 2, (box.c0 + box.c1) / 2)
                radius = min(box.r1 - box.r0, box.c1 - box.c0) / 2
                m = (result.mask.astype(bool) | disc(shape, centre, radius)).astype(np.uint8)
                return Segmentation(m, m.astype(np.float32), m > 0, 1.0)

        return Encoded()


def test_a_box_redraws_the_lesions_mostly_inside_it_and_a_new_box_replaces_the_old() -> None:
    from desktop.models.editing.smart_click import BOX_EDIT_NAME
    from engine.interactive import Box

    model = BoxDiscModel()
    inside = disc((120, 160), (60, 80), 25)  # the AI's outline, mostly inside the box below
    outside = disc((120, 160), (15, 15), 6)  # another lesion, outside it
    state = disc_case(ai_mask=inside | outside)
    controller = smart_controller(state, model)
    smart, editor = controller.smart_click, state.editor
    controller.click((60.0, 80.0))  # a click, then a box: the box goes with the click
    smart.drag_box(editor, state.image.pixels, Box(40, 60, 80, 100))
    assert model.prompts[-1][0] == smart.clicks and len(smart.clicks) == 1
    smart.drag_box(editor, state.image.pixels, Box(45, 65, 75, 95))  # replaces the first box
    assert model.prompts[-1][1] == Box(45, 65, 75, 95) == smart.box
    assert editor.undo_name == BOX_EDIT_NAME
    mask = editor.mask
    assert mask[15, 15] and not mask[60, 102]  # the outside lesion stays, the AI's one went
    editor.undo()  # back to the first box: the series continues from there
    controller.click((60.0, 70.0))
    assert model.prompts[-1][1] == Box(40, 60, 80, 100) and len(smart.clicks) == 2


def test_a_first_box_keeps_a_lesion_that_is_mostly_outside_it() -> None:
    from desktop.models.editing.smart_click import lesions_inside
    from engine.interactive import Box

    mask = (disc((120, 160), (60, 80), 20) | disc((120, 160), (60, 140), 10)).astype(np.uint8)
    redrawn = lesions_inside(mask, Box(30, 50, 90, 135))  # all of the first, a bit of the second
    assert redrawn[60, 80] and not redrawn[60, 140]
