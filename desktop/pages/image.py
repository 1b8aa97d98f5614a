"""The image page: the single image (ultrasound still, cine, series slice) the window opens
by default, with its canvas, edit toolbar, frame slider and side panels (findings, review,
descriptors, display).

Its widgets and the wiring that is only theirs (the cursor and tool read-outs, the
calibration question of the Calibrate tool) live here instead of in the window, which keeps
what is shared by every page: opening cases, analysis, saving, export, the menus. Like the
study and volume pages it sees the window only as a desktop.pages.host.PageHost. Where its
widgets sit is desktop.shell.layout's business; the other pages hide them while shown
(PageHost.show_page) and the window brings them back with the next image.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.image.state import CaseState
from desktop.pages.host import PageHost
from desktop.widgets.image.calibration_dialog import ask_calibration
from desktop.widgets.image.canvas import ImageCanvas
from desktop.widgets.image.descriptor_panel import DescriptorPanel
from desktop.widgets.image.display_controls import DisplayControls
from desktop.widgets.image.edit_toolbar import EditToolBar
from desktop.widgets.image.findings_panel import FindingsPanel
from desktop.widgets.image.frame_controls import FrameControls
from desktop.widgets.image.review_panel import ReviewPanel


class ImagePage:
    """The widgets are built in the order they always were: each subscribes to the CaseState
    when built, and the window's own subscribers must run after them."""

    def __init__(self, host: PageHost, state: CaseState, tools: ToolState) -> None:
        self.host = host
        self.canvas = ImageCanvas(state, tools)
        self.findings_panel = FindingsPanel(state)
        self.review_panel = ReviewPanel(state)
        self.descriptor_panel = DescriptorPanel(state)
        self.display_controls = DisplayControls(state)
        self.frame_controls = FrameControls(state)
        self.toolbar = EditToolBar(state, tools, self.canvas.controller)
        self.calibration_dialog: QInputDialog | None = None  # tests answer it
        self.canvas.cursor_moved.connect(host.show_cursor)
        tools.subscribe("tool_changed", lambda: host.show_tool(None))
        self.canvas.controller.subscribe("calibration_requested", self._ask_calibration)

    @property
    def panels(self) -> list[QWidget]:
        """The side column's panels of the single image, top to bottom."""
        return [
            self.findings_panel,
            self.review_panel,
            self.descriptor_panel,
            self.display_controls,
        ]

    def _ask_calibration(self, length_px: float) -> None:
        """Calibrate: the reader types the known length of the line drawn (non-modal)."""
        parent = self.host.parent_widget()
        self.calibration_dialog = ask_calibration(parent, length_px, self.canvas.controller)
