"""Pages replacing each other in the real window: each page's own widgets, and only those,
are on screen, whatever page was shown before (desktop.shell.page_host hides and restores
the single image's toolbar, frame slider and side panels in one step)."""

from __future__ import annotations

import numpy as np

from desktop.pages.study import TOOLS_OFF
from engine.synth.nifti_out import write_nifti


def image_widgets(window) -> dict[str, bool]:  # noqa: ANN001
    return {
        "toolbar": window.toolbar.isVisible(),
        "frames": window.frame_controls.isVisible(),
        "side column": window.side_scroll.isVisible(),
        "findings": window.findings_panel.isVisible(),
        "study panel": window.study_page.panel.isVisible(),
    }


def test_a_single_image_after_a_study_gets_no_frame_slider(
    window, scinti_study_dir, node_png
) -> None:  # noqa: ANN001
    window.study_page.state.find_bundle = lambda _views: None
    assert window.open_path(scinti_study_dir)
    assert window.toolbar.unavailable == TOOLS_OFF
    assert window.open_path(node_png)
    assert window.canvas_stack.currentWidget() is window.canvas
    assert image_widgets(window) == {
        "toolbar": True,
        "frames": False,  # one frame: the study leaving brought no slider back
        "side column": True,
        "findings": True,
        "study panel": False,
    }
    assert window.toolbar.unavailable is None  # the 2D tools are on again


def test_a_study_after_a_volume_hides_the_2d_toolbar(window, ct_nifti, scinti_study_dir) -> None:  # noqa: ANN001
    window.study_page.state.find_bundle = lambda _views: None
    assert window.open_path(ct_nifti)
    assert window.canvas_stack.currentWidget() is window.volume_mode.workspace
    assert window.open_path(scinti_study_dir)
    assert window.canvas_stack.currentWidget() is window.study_page.view
    assert not window.volume_mode.active
    assert image_widgets(window) == {
        "toolbar": False,  # the volume leaving after the study came brought it back
        "frames": False,
        "side column": True,  # the study's panel sits in it
        "findings": False,
        "study panel": True,
    }
    assert window.toolbar.unavailable == TOOLS_OFF


def test_a_volume_after_a_study_and_back_to_an_image(
    window, scinti_study_dir, ct_nifti, node_png
) -> None:  # noqa: ANN001
    window.study_page.state.find_bundle = lambda _views: None
    assert window.open_path(scinti_study_dir)
    assert window.open_path(ct_nifti)
    assert window.canvas_stack.currentWidget() is window.volume_mode.workspace
    assert not window.study_page.active
    assert image_widgets(window) == {
        "toolbar": False,
        "frames": False,
        "side column": False,
        "findings": False,
        "study panel": False,
    }
    assert window.toolbar.unavailable is None  # the volume's label tools use the shared tool
    assert window.open_path(node_png)
    assert image_widgets(window) == {
        "toolbar": True,
        "frames": False,
        "side column": True,
        "findings": True,
        "study panel": False,
    }


def test_a_volume_opens_straight_on_the_volume_page(window, node_png, ct_nifti) -> None:  # noqa: ANN001
    """Never first on the 2D canvas as a slice series, then taken over by the volume page."""
    assert window.open_path(node_png)
    stack = window.canvas_stack
    shown = []
    stack.currentChanged.connect(lambda index: shown.append(stack.widget(index)))
    assert window.open_path(ct_nifti)
    assert shown == [window.volume_mode.workspace]
    assert window.open_path(node_png)
    assert shown == [window.volume_mode.workspace, window.canvas]


def test_a_volume_after_a_volume_replaces_it_on_the_same_page(window, ct_nifti, tmp_path) -> None:  # noqa: ANN001
    other = write_nifti(tmp_path / "other.nii.gz", np.zeros((5, 16, 20), np.int16), (2, 1, 1))
    assert window.open_path(ct_nifti)
    session = window.volume_mode.session
    session.labels.replace(np.ones(session.labels.labels.shape, np.uint8), "fill")
    assert window.open_path(other)  # the unsaved labels: discarded (the fixture's answer)
    assert window.canvas_stack.currentWidget() is window.volume_mode.workspace
    assert session.path == other and session.volume.voxels.shape == (5, 16, 20)
    assert not session.modified and window.windowTitle() == "LesionLens — other.nii.gz"
    assert not window.side_scroll.isVisible() and not window.toolbar.isVisible()
