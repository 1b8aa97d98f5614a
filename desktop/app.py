"""Entry point: `python -m desktop [PATH] [--model DIR]` (the GUI of `lesionlens view`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow
from desktop.models.image.state import CaseState
from desktop.models.paths import SAMPLE_PATH
from desktop.screenshot import ScreenshotOnSettle
from desktop.widgets.theme import apply_dark_theme

DEFAULT_SIZE = (1280, 800)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="lesionlens view",
        description="LesionLens workstation (research use only - not for diagnosis).",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="image, cine, DICOM series folder or NIfTI to open (default: the bundled sample)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model bundle folder (default: the registry's active model, at first the shipped one)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save the window once the analysis is shown, then exit (1 if it failed)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds --screenshot waits (default 60)"
    )
    return parser.parse_args(argv)


def configure_qt() -> None:
    """Once per process, before any widget exists: pyqtgraph arrays as (row, col) everywhere."""
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def create_window(path: Path | None = None, model_dir: Path | None = None) -> MainWindow:
    """A shown window that has started loading the model and opening the case."""
    configure_qt()
    window = MainWindow(CaseState())
    window.resize(*DEFAULT_SIZE)
    window.show()
    if model_dir is not None:
        window.load_model(model_dir)
    else:
        window.load_active_model()
    window.open_path(path if path is not None else SAMPLE_PATH)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LesionLens")
    apply_dark_theme(app)
    window = create_window(args.path, args.model)
    if args.screenshot is not None:
        ScreenshotOnSettle(window, args.screenshot, args.timeout)  # parented to the window
    code = app.exec()
    window.jobs.pool.waitForDone(10_000)
    return int(code)
