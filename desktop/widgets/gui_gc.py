"""Python's cyclic garbage collector, run on the GUI thread only.

CPython collects in whichever thread crosses an allocation threshold. In a worker (an export
building a DICOM SEG allocates a lot) a collection can finalise Qt objects that belong to the
GUI thread, from the wrong thread; in the tests that deadlocked the process (every thread
asleep: the worker inside highdicom, the GUI thread in its event loop). pyqtgraph's
GarbageCollector is the usual cure (calibre and pyqtgraph do the same): automatic collection
off, and a GUI-thread timer collects each generation when its threshold is crossed.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

INTERVAL_S = 0.5
_collector: GarbageCollector | None = None


def pin_garbage_collection_to_gui_thread() -> GarbageCollector:
    """Idempotent; call it on the GUI thread once the QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=INTERVAL_S)
    gc.disable()
    if not _collector.timer.isActive():
        _collector.timer.start(int(INTERVAL_S * 1000))
    return _collector


def unpin_garbage_collection() -> None:
    """Automatic collection back on (tests, between windows); collects once here first."""
    if _collector is not None:
        _collector.timer.stop()
    gc.collect()
    gc.enable()
