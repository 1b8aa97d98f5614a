"""Pages replacing each other in the real window: each page's own widgets, and only those,
are on screen, whatever page was shown before (desktop.shell.page_host hides and restores
the single image's toolbar, frame slider and side panels in one step)."""

from __future__ import annotations

from desktop.pages.study import TOOLS_OFF


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
