"""Each page built against a small fake PageHost (tests/desktop/pages/fake_host.py), with no
MainWindow: the image, study and volume pages ask the window only through desktop.pages.host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import desktop.pages.volume as volume_page
from desktop.models.editing.tool_state import CALIBRATE
from desktop.models.study.findings import study_disclaimer
from desktop.pages.host import EDIT_END, FILE_AFTER_SAVE, MODEL_END
from desktop.pages.image import ImagePage
from desktop.pages.study import TOOLS_OFF, StudyPage
from desktop.pages.volume import VolumePage
from desktop.widgets.questions import DISCARD
from engine.synth.nifti_out import write_nifti
from tests.desktop.pages.fake_host import FakeHost, as_page_host

SHAPE = (5, 12, 16)  # z, y, x


def test_pages_import_nothing_of_the_window_or_the_shell() -> None:
    """In a fresh interpreter: importing every page loads no desktop.shell, no main window."""
    code = (
        "import sys, desktop.pages.host, desktop.pages.image, desktop.pages.study, "
        "desktop.pages.volume\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('desktop.shell', "
        "'desktop.main_window', 'desktop.app')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_study_page_opens_shows_and_leaves_on_a_fake_host(qtbot, scinti_study_dir) -> None:  # noqa: ANN001
    host = FakeHost()
    page = StudyPage(as_page_host(host))
    page.state.find_bundle = lambda _views: None  # shown without AI
    assert host.stack.indexOf(page.view) >= 0 and host.side_panels == [page.panel]
    assert page.panel.isHidden() and not page.active
    assert {a.text() for a in host.actions[None]} == {
        "Study Smart Click",
        "Undo Study Edit",
        "Redo Study Edit",
    }
    assert all(a.parent() is host.window for a in host.actions[None])

    assert page.open(scinti_study_dir)
    assert page.active and host.shown_page() is page.view
    assert host.chrome == (True, TOOLS_OFF)  # its panel in the side column, 2D tools off
    assert not page.panel.isHidden()
    assert host.title() == "LesionLens — scinti_case (study)"
    assert any(s.startswith("Opened study scinti_case") for s in host.statuses)
    assert host.model_card == study_disclaimer(None)  # no shipped model takes these views
    assert host.tool == page.tools.label
    assert page.smart_click_action.isEnabled()
    page.view.cursor_moved.emit("Anterior: row 1  col 2")
    assert host.cursor == "Anterior: row 1  col 2"
    assert not page.exportable() and page.open_export_dialog() is None  # no analysis yet
    assert host.statuses[-1] == "Nothing to export: the study has no analysis yet"

    host.tools.set_tool("eraser")
    page.leave()
    assert not page.active and page.panel.isHidden()
    assert host.tool == host.tools.label  # the window's own tool again
    assert host.model_card is None  # back to the image model's card
    assert not page.smart_click_action.isEnabled()


def test_the_image_page_reports_to_its_host(qtbot) -> None:  # noqa: ANN001
    host = FakeHost()
    page = ImagePage(as_page_host(host), host.state, host.tools)
    assert page.panels == [
        page.findings_panel,
        page.review_panel,
        page.descriptor_panel,
        page.display_controls,
    ]
    page.canvas.cursor_moved.emit("row 3  col 4")
    assert host.cursor == "row 3  col 4"
    host.tools.set_tool(CALIBRATE)
    assert host.tool == host.tools.label and "Calibrate" in host.tool
    page.canvas.controller.events.emit("calibration_requested", 42.0)
    dialog = page.calibration_dialog
    assert dialog is not None and dialog.parent() is host.window
    assert "42 px" in dialog.labelText()
    dialog.reject()


@pytest.fixture
def small_ct(tmp_path: Path) -> Path:
    z, y, _x = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    return write_nifti(tmp_path / "kidney.nii.gz", (50 * z + y - 300).astype(np.int16), (3, 1, 1))


def test_the_volume_page_opens_edits_and_leaves_on_a_fake_host(
    qtbot, small_ct: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    monkeypatch.setattr(volume_page, "default_bundle", lambda *_a, **_k: None)
    host = FakeHost()
    page = VolumePage(as_page_host(host))
    assert host.stack.indexOf(page.workspace) >= 0 and not page.active
    placed = {place: [a.text() for a in actions] for place, actions in host.actions.items()}
    assert placed[FILE_AFTER_SAVE] == ["Save &Labels", "Load Labels…"]
    assert placed[MODEL_END] == ["Analyze &Volume"]
    assert placed[EDIT_END] == ["&Interpolate Labels"]
    assert "Label Brush" in placed[None]

    host.set_title("LesionLens — kidney.nii.gz")
    refreshed = host.refreshed
    assert host.state.open(small_ct)  # the host's CaseState opens it; the page takes it
    assert page.active and host.shown_page() is page.workspace
    assert host.chrome == (False, None)  # no side column; the shared tool's keys stay on
    assert host.refreshed > refreshed  # Export and Run Anyway follow the volume shown
    assert volume_page.NO_VOLUME_MODEL in page.controls.note.text()
    assert not page.analyze() and not host.jobs  # no volume model: nothing queued

    target = page.preset_target()  # keys 1-9 act on the three planes
    names = target.names()
    assert names == [p.name for p in page.session.presets] and len(names) > 1
    opened = page.session.window
    assert target.apply(names[1]) and page.session.window != opened
    page.reset_window()  # W: back to the window the CT opened with
    assert page.session.window == opened

    page.session.labels.replace(np.ones(SHAPE, np.uint8), "fill")
    assert host.title() == "LesionLens — kidney.nii.gz *"
    host.answer = "cancel"
    assert not page.confirm_leave("opening another case")
    assert host.asked == ["opening another case"]
    host.answer = DISCARD
    assert page.confirm_leave("opening another case")

    host.show_image()  # another page replaced the volume without a new case
    assert not page.active and page.session.volume is None
    assert host.model_card is None
