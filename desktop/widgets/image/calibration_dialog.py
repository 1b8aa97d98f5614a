"""After the reader drew a calibration line: ask its known length in mm (non-blocking), and
hand the answer to the canvas's tool controller (or cancel the calibration)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

from desktop.models.editing.tool_controller import ToolController


def ask_calibration(parent: QWidget, length_px: float, controller: ToolController) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Calibrate")
    dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
    dialog.setLabelText(f"Known length of the line you drew ({length_px:.0f} px), in mm:")
    dialog.setDoubleRange(0.01, 10_000.0)
    dialog.setDoubleDecimals(2)
    dialog.setDoubleValue(10.0)
    dialog.doubleValueSelected.connect(controller.finish_calibration)
    dialog.rejected.connect(controller.cancel)
    dialog.open()
    return dialog
