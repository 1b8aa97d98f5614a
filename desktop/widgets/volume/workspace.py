"""What the window shows for a CT/MR volume: axial, coronal and sagittal views with linked
crosshair, the label legend with volumes and the finding in the fourth cell, and the controls
on the right.

    ┌──────────┬──────────┬──────────┐
    │ axial    │ coronal  │ controls │
    ├──────────┼──────────┤          │
    │ sagittal │ labels,  │          │
    │          │ finding  │          │
    └──────────┴──────────┴──────────┘

Owns the VolumeSession; the window opens volumes into it, runs the model for it (worker
thread) and forwards the status and error messages.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QSplitter, QWidget

from desktop.models.editing.tool_state import ToolState
from desktop.models.volume.planes import AXIAL, CORONAL, SAGITTAL
from desktop.models.volume.session import VolumeSession
from desktop.widgets.volume.panel import VolumeControls, VolumeReadout
from desktop.widgets.volume.view import PlanePanel

CONTROLS_WIDTH = 330


def scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class VolumeWorkspace(QSplitter):
    def __init__(
        self,
        tools: ToolState,
        session: VolumeSession | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session or VolumeSession()
        self.tools = tools
        self.panels = {
            plane: PlanePanel(self.session, tools, plane) for plane in (AXIAL, CORONAL, SAGITTAL)
        }
        self.readout = VolumeReadout(self.session)
        self.controls = VolumeControls(self.session, tools)
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(self.panels[AXIAL], 0, 0)
        grid.addWidget(self.panels[CORONAL], 0, 1)
        grid.addWidget(self.panels[SAGITTAL], 1, 0)
        grid.addWidget(scrolled(self.readout), 1, 1)
        for k in (0, 1):
            grid.setRowStretch(k, 1)
            grid.setColumnStretch(k, 1)
        controls = scrolled(self.controls)
        controls.setMinimumWidth(CONTROLS_WIDTH)
        self.addWidget(grid_widget)
        self.addWidget(controls)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 0)
        self.setChildrenCollapsible(False)

    def canvas(self, plane: str):  # noqa: ANN201 - PlaneCanvas
        return self.panels[plane].canvas
