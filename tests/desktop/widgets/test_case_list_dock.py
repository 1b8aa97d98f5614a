"""The case list's batch bar: its last count stays in view after Analyze all, but not once
another folder is open (issue 20, item 7: "3 / 3" stayed in a new folder)."""

from __future__ import annotations

from pathlib import Path

from desktop.models.reading.case_list import CaseEntry, CaseList
from desktop.widgets.case_list_dock import CaseListDock


def test_the_last_batch_count_goes_with_its_folder(qtbot) -> None:  # noqa: ANN001
    cases = CaseList()
    dock = CaseListDock(cases)
    qtbot.addWidget(dock)
    entries = [CaseEntry(Path(f"/a/{k}.png"), f"{k}.png") for k in "abc"]
    cases.set_entries(entries, "/a")
    dock.set_batch_running(True)
    for done in range(1, 4):
        dock.show_batch_progress(done, 3)
    dock.set_batch_running(False)
    cases.set_entries(entries, "/a")  # the same folder refreshed: the count stays
    assert dock.batch_text() == "3 / 3" and not dock.batch_bar.isHidden()
    cases.set_entries([CaseEntry(Path("/b/x.png"), "x.png")], "/b")
    assert dock.batch_text() == "" and dock.batch_bar.isHidden()
