"""A path opens in the window as the kind the CLI calls it (engine.case): an image on the image
canvas, a study on the study page, a volume on the volume page; a folder of cases lists them,
each opening as its own kind. Through the real window and its navigation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from desktop.main_window import MainWindow
from engine.case import IMAGE, STUDY, VOLUME, inputs_kind, open_case
from engine.report.ct_series import derived_ct_series
from engine.synth.nodes import NodeSample
from engine.types import Volume


def _png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(pixels).save(path)
    return path


def _ct_series(folder: Path, slices: int = 4) -> Path:
    """Single-frame CT slices with a patient position: a volume to the engine."""
    folder.mkdir(parents=True)
    voxels = np.full((slices, 24, 32), -1000, np.float32)
    voxels[:, 6:18, 8:24] = 40.0
    for k, ds in enumerate(derived_ct_series(Volume(voxels, (2.5, 0.8, 0.8)))):
        ds.save_as(folder / f"slice{k:03d}.dcm", enforce_file_format=True)
    return folder


def opened_kind(window: MainWindow) -> str:
    """Which page the window shows the open case on, as a kind of case."""
    if window.study_page.active:
        assert window.canvas_stack.currentWidget() is window.study_page.view
        return STUDY
    if window.volume_mode.active:
        assert window.canvas_stack.currentWidget() is window.volume_mode.workspace
        return VOLUME
    assert window.canvas_stack.currentWidget() is window.canvas
    return IMAGE


@pytest.fixture
def cases(tmp_path: Path, node_sample: NodeSample, scinti_study_dir: Path, ct_nifti: Path):  # noqa: ANN201
    """One path of each kind: a PNG, a folder of view-named files, a NIfTI and a CT series."""
    return {
        "image": _png(tmp_path / "node.png", node_sample.image),
        "study": scinti_study_dir,
        "nifti volume": ct_nifti,
        "dicom volume": _ct_series(tmp_path / "ct_series"),
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [("image", IMAGE), ("study", STUDY), ("nifti volume", VOLUME), ("dicom volume", VOLUME)],
)
def test_a_path_opens_as_the_kind_the_cli_reads(
    window: MainWindow, cases: dict[str, Path], name: str, kind: str
) -> None:
    path = cases[name]
    case = open_case(path)
    assert case.kind == kind and inputs_kind([path]) == kind  # the CLI's answer
    assert window.open_path(path)
    assert opened_kind(window) == kind  # the window's
    if kind == STUDY:
        assert list(window.study_page.state.study.views) == list(case.views)
    elif kind == VOLUME:  # the volume page shows what open_case reads
        shown = window.state.series.content
        assert isinstance(shown, Volume)
        np.testing.assert_array_equal(shown.voxels, case.volume.voxels)
        assert shown.spacing_mm == case.volume.spacing_mm
    else:
        np.testing.assert_array_equal(window.state.image.pixels, case.image.pixels)


def test_two_cases_of_one_view_each_list_as_two_images(
    window: MainWindow, tmp_path: Path, node_sample: NodeSample
) -> None:
    folder = tmp_path / "mixed"
    _png(folder / "case1_us.png", node_sample.image)
    _png(folder / "case2_photo.png", np.full((48, 64, 3), 180, np.uint8))
    assert inputs_kind([folder]) == IMAGE and open_case(folder / "case1_us.png").kind == IMAGE
    assert window.open_folder(folder)
    assert [e.path for e in window.cases.entries] == sorted(folder.iterdir())
    for entry in window.cases.entries:
        assert window.go_to_case(entry)
        assert opened_kind(window) == IMAGE and window.state.path == entry.path


def test_one_case_of_two_views_lists_and_opens_as_one_study(
    window: MainWindow, tmp_path: Path, node_sample: NodeSample
) -> None:
    folder = tmp_path / "case7"
    _png(folder / "case7_us.png", node_sample.image)
    _png(folder / "case7_photo.png", np.full((*node_sample.image.shape, 3), 180, np.uint8))
    case = open_case(folder)
    assert case.kind == STUDY and inputs_kind([folder]) == STUDY
    assert window.open_folder(folder)
    assert [e.path for e in window.cases.entries] == [folder]  # one case, not two images
    assert opened_kind(window) == STUDY
    assert window.study_page.state.study.case_id == case.case_id
    assert sorted(window.study_page.state.study.views) == sorted(case.views) == ["photo", "us"]


def test_analyze_all_leaves_a_listed_study_to_its_page(
    window: MainWindow, tmp_path: Path, node_sample: NodeSample
) -> None:
    """A study in a folder's list is analysed when opened (on the study page), not by the
    image batch, as `lesionlens analyze` reads it with the study task and not the image one."""
    study = tmp_path / "cases" / "case7"
    _png(study / "case7_us.png", node_sample.image)
    _png(study / "case7_photo.png", np.full((*node_sample.image.shape, 3), 180, np.uint8))
    assert inputs_kind([study]) == STUDY
    assert window.open_folder(study.parent)
    assert [e.path for e in window.cases.entries] == [study]
    messages: list[str] = []
    window.state.subscribe("status", messages.append)
    assert not window.analyze_all()
    assert messages[-1] == "Multi-view studies are analysed when opened"
