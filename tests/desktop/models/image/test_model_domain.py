"""An ultrasound model is not run on images it was not made for (model.json "views"): a CT
slice is shown without AI and the panel says why; Model ▸ Run Model Anyway overrides it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from desktop.main_window import MainWindow
from desktop.models.image.domain import domain_mismatch, image_view

TIMEOUT_MS = 15_000


def test_views_decide_the_domain(model, known_analysis) -> None:  # noqa: ANN001
    image = known_analysis.image
    assert model.spec.raw["views"] == ["us"]
    assert domain_mismatch(model, image) is None  # a PNG: taken as it comes
    us = dataclasses.replace(image, metadata={"Modality": "US"})
    assert domain_mismatch(model, us) is None
    ct = dataclasses.replace(image, metadata={"Modality": "CT"})
    assert domain_mismatch(model, ct).what == "a CT image"
    assert domain_mismatch(model, ct, volume=True).what == "a CT volume slice"
    assert domain_mismatch(model, image, volume=True).reason() == (
        f"Not analysed: this is a volume slice, and {model.spec.model_id} was made for "
        "ultrasound images only (model.json views: us)."
    )
    assert image_view(ct, volume=True)[0] == "ct" and image_view(us)[0] == "us"
    ct_model = SimpleNamespace(
        spec=dataclasses.replace(model.spec, raw={**model.spec.raw, "views": ["ct"]})
    )
    assert domain_mismatch(ct_model, ct) is None and domain_mismatch(ct_model, us) is not None
    no_views = SimpleNamespace(spec=dataclasses.replace(model.spec, raw={}))
    assert domain_mismatch(no_views, ct, volume=True) is None  # nothing declared to check


def test_a_volume_is_not_analysed_by_the_ultrasound_model(
    qtbot, window: MainWindow, ct_nifti: Path, node_png: Path
) -> None:  # noqa: ANN001
    state = window.state
    assert window.open_path(ct_nifti)
    assert window.volume_mode.active  # three views; the volume model is on Model menu
    assert state.image is not None and state.analysis is None
    assert not state.busy and not window.has_running_jobs()  # nothing was even started
    assert "not analysed" in window.statusBar().currentMessage()
    assert not window.run_anyway_action.isEnabled()  # its output would not be on screen
    assert not window.run_model_anyway()
    qtbot.wait(400)  # past the analyse delay
    assert state.analysis is None and not window.has_running_jobs()

    assert window.open_path(node_png)  # an ultrasound-like image: analysed as usual
    assert not window.volume_mode.active
    assert state.domain_override is False and not window.run_anyway_action.isEnabled()
    qtbot.waitUntil(lambda: state.analysis is not None, timeout=TIMEOUT_MS)
    panel = window.findings_panel
    assert not panel.note.text().startswith(("Out of domain", "Not analysed"))


def test_gui_screenshot_of_a_volume_settles_without_ai(ct_nifti: Path, tmp_path: Path) -> None:
    """`--screenshot` takes an image shown without AI on purpose as settled (exit 0)."""
    shot = tmp_path / "ct.png"
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    command = [sys.executable, "-m", "desktop", str(ct_nifti), "--screenshot", str(shot)]
    result = subprocess.run(
        [*command, "--timeout", "30"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert shot.is_file() and "timed out" not in result.stderr
