"""Cyclic garbage collection runs on the GUI thread only while a window is open."""

from __future__ import annotations

import gc
import threading

from desktop.main_window import MainWindow


def test_a_window_turns_collection_into_a_gui_thread_timer(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from desktop.widgets.gui_gc import pin_garbage_collection_to_gui_thread

    assert not gc.isenabled()
    collector = pin_garbage_collection_to_gui_thread()
    assert collector.timer.isActive()
    seen: list[str] = []

    class Cycle:
        def __del__(self) -> None:
            seen.append(threading.current_thread().name)

    def make_garbage() -> None:
        for _ in range(2000):  # well past the gen-0 threshold, from a worker thread
            c = Cycle()
            c.self = c
        del c

    worker = threading.Thread(target=make_garbage, name="worker")
    worker.start()
    worker.join()
    assert not seen  # the worker crossed the threshold and did not collect
    qtbot.waitUntil(lambda: len(seen) >= 2000, timeout=5_000)
    assert set(seen) == {threading.main_thread().name}
