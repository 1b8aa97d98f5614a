"""Save a picture of the window once the case has settled, then quit the application.

Backs `--screenshot FILE` (docs, bug reports, and the real-process smoke test): it waits for
the analysis to be on screen (or the image shown without AI because the model was not made
for it), or for every job to end in an error, so a broken model or file never yields a picture
that looks fine. Exit code 0 with an analysis or a withheld one, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow

POLL_MS = 50
SETTLE_MS = 300  # layout and repaint after the last state change


class ScreenshotOnSettle(QObject):
    def __init__(self, window: MainWindow, path: Path, timeout_s: float = 60.0) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.deadline = time.monotonic() + timeout_s
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self.timer.start(POLL_MS)

    def _poll(self) -> None:
        state, busy = self.window.state, self.window.has_running_jobs()
        if state.analysis is not None and not state.busy:
            self._finish(0)
        elif state.image is not None and state.withheld is not None and not busy:
            self._finish(0)  # shown without AI on purpose (out of the model's domain)
        elif state.last_error is not None and not busy:
            self._finish(1, state.last_error)
        elif time.monotonic() > self.deadline:
            self._finish(1, "timed out waiting for the analysis")

    def _finish(self, code: int, problem: str = "") -> None:
        self.timer.stop()
        QTimer.singleShot(SETTLE_MS, lambda: self._save_and_quit(code, problem))

    def _save_and_quit(self, code: int, problem: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(self.path)):
            code, problem = 1, f"could not write {self.path}"
        else:
            size = self.window.size()
            print(f"wrote {self.path} ({size.width()}x{size.height()})")
        if problem:
            print(f"screenshot: {problem}", file=sys.stderr)
        self.window.close()
        QApplication.instance().exit(code)
