"""The reader's calipers, shapes and calibration of a stored case, kept in the datastore:
written once a drag settles (MEASURE_DELAY_MS after the last change), flushed when the case
or frame is left or the window closes, and read back when the case is opened again. Changes
made by opening a case or frame are not the reader's and are not written (`quiet`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer

from desktop.models.image.series import CINE, IMAGE
from desktop.models.image.state import CaseState, describe_error
from desktop.models.reading.review_store import ReviewStore
from engine.errors import LesionLensError

MEASURE_DELAY_MS = 400  # after the last caliper move, before the datastore is written


class MeasurementSync:
    def __init__(self, parent: QObject, state: CaseState, store: ReviewStore) -> None:
        self.state = state
        self.store = store
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.store_now)
        self._quiet = False
        state.subscribe("calipers_changed", self.changed)
        state.subscribe("calibration_changed", lambda _image: self.changed())

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Opening a case or frame: what changes meanwhile is nothing the reader did."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def changed(self) -> None:
        if not self._quiet:
            self._timer.start(MEASURE_DELAY_MS)

    def flush(self) -> None:
        """Store a pending caliper or calibration change now (leaving the case, closing)."""
        if self._timer.isActive():
            self._timer.stop()
            self.store_now()

    def _stored_kind(self) -> bool:
        state = self.state
        return (
            state.path is not None
            and state.series is not None
            and state.series.kind
            in (
                IMAGE,
                CINE,
            )
        )

    def restore(self) -> None:
        """A reopened case gets the calibration the reader set and its calipers back."""
        if not self._stored_kind():
            return
        try:
            stored = self.store.measurements(self.state.path)
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"Stored measurements not read: {describe_error(exc)}")
            return
        if stored is not None:
            self.state.restore_measurements(stored)

    def store_now(self) -> None:
        """For a case in the datastore: its calipers and calibration, updated in place. A file
        not stored yet gets them with its first Save Review (Ctrl+S)."""
        if not self._stored_kind():
            return
        try:
            self.store.save_measurements(self.state.path, self.state.measurements())
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"Measurements not stored: {describe_error(exc)}")
