"""Qt-free logic of the study view: which views link, how ranges map between opposed views,
which paths open as studies, the state's events, and the finding panel's words."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from desktop.models.reading.case_list import folder_entries
from desktop.models.study.findings import case_fields, view_rows
from desktop.models.study.geometry import link_decision, linked_range, opposed, side_labels
from desktop.models.study.state import StudyResult, StudyState
from engine.bundle import read_bundle
from engine.case_kind import is_study_folder, study_source
from engine.errors import LoadError
from engine.io import load_study
from engine.report.wording import lesion_size_text
from engine.types import Image


def gray(h: int, w: int, spacing=None) -> Image:  # noqa: ANN001
    return Image(pixels=np.zeros((h, w), np.uint8), spacing_mm=spacing)


def test_link_decision_follows_the_geometry() -> None:
    same = link_decision({"anterior": gray(64, 32), "posterior": gray(64, 32)})
    assert same.linkable and "uncalibrated" in same.reason
    calibrated = {"anterior": gray(64, 32, (2.0, 2.0)), "posterior": gray(64, 32, (2.01, 2.0))}
    assert link_decision(calibrated).linkable  # 0.5 % is rounding
    other = {"anterior": gray(64, 32, (2.0, 2.0)), "posterior": gray(64, 32, (2.5, 2.5))}
    assert not link_decision(other).linkable
    assert "spacing" in link_decision(other).reason
    assert "sizes" in link_decision({"a": gray(64, 32), "b": gray(32, 64)}).reason
    photo = Image(pixels=np.zeros((48, 64, 3), np.uint8))
    skin = link_decision({"photo": photo, "us": gray(48, 64)})
    assert not skin.linkable and "modalities" in skin.reason
    assert not link_decision({"us": gray(48, 64)}).linkable


def test_opposed_views_map_columns_mirrored() -> None:
    assert opposed("posterior", "anterior") and not opposed("photo", "us")
    # columns 4..12 of a 32-wide anterior are columns 20..28 of the posterior; rows stay
    assert linked_range((4.0, 12.0, 1.0, 9.0), 32, True) == (20.0, 28.0, 1.0, 9.0)
    assert linked_range((4.0, 12.0, 1.0, 9.0), 32, False) == (4.0, 12.0, 1.0, 9.0)
    assert side_labels("anterior", False) == ("R", "L")
    assert side_labels("posterior", False) == ("L", "R")
    assert side_labels("posterior", True) == ("R", "L")
    assert side_labels("us", False) is None


def test_study_paths_and_case_list(tmp_path, scinti_study_dir) -> None:  # noqa: ANN001
    assert is_study_folder(scinti_study_dir)
    assert study_source(scinti_study_dir) == (scinti_study_dir, None)
    single = tmp_path / "single"
    single.mkdir()
    (single / "us.png").write_bytes(b"")
    assert not is_study_folder(single)  # one view is an image, not a study
    root = tmp_path / "data"
    root.mkdir()
    (root / "views.csv").write_text(
        "case,view,file\nc1,anterior,a1.png\nc1,posterior,p1.png\nc2,anterior,a2.png\n"
        "c2,posterior,p2.png\n"
    )
    entries = folder_entries(root)
    assert [e.name for e in entries] == ["c1", "c2"]
    assert study_source(entries[1].path) == (root, "c2")
    parent_entries = folder_entries(scinti_study_dir.parent)
    assert [e.name for e in parent_entries] == ["scinti_case/"]


def test_state_opens_links_and_drops_stale_results(scinti_study_dir, make_study_analysis):  # noqa: ANN001
    bundle = read_bundle()  # any bundle: the request only carries it
    state = StudyState(find_bundle=lambda _views: bundle)
    seen: list[str] = []
    for event in ("study_changed", "analysis_changed", "link_changed", "display_changed"):
        state.subscribe(event, lambda *_a, e=event: seen.append(e))
    assert state.open(scinti_study_dir)
    assert state.linked and state.can_analyze
    state.set_link_wanted(False)
    assert not state.linked and seen[-1] == "link_changed"
    request = state.start_analysis()
    assert state.busy and not state.can_analyze
    analysis = make_study_analysis(state.study)
    state.show_study(state.study)  # reopened meanwhile: the first request is stale
    assert not state.finish_analysis(request, StudyResult(analysis, bundle.spec))
    request = state.start_analysis()
    assert state.finish_analysis(request, StudyResult(analysis, bundle.spec))
    assert state.analysis is analysis and not state.busy
    state.set_map_opacity(3.0)
    assert state.map_opacity == 1.0


def test_state_without_model_says_why(scinti_study_dir, tmp_path) -> None:  # noqa: ANN001
    state = StudyState(find_bundle=lambda _views: None)
    assert not state.open(tmp_path / "missing")
    assert "missing" in state.last_error
    assert state.open(scinti_study_dir)
    assert not state.can_analyze
    assert "No shipped model takes the views anterior, posterior" in state.why_not_analysed()


def test_one_finding_for_the_case_with_sizes_per_view(skin_study_dir, make_study_analysis):  # noqa: ANN001
    study = load_study(skin_study_dir)
    analysis = make_study_analysis(study, spacing_mm=0.1)
    fields = dict(case_fields(analysis, None))
    assert fields["Class"] == "malignant"
    assert fields["Probability"] == "malignant 70% · benign 30%"
    assert fields["Spread"].startswith("±5.0 points")
    rows = dict(view_rows(analysis))
    assert rows["Clinical photo"].startswith("attention map only")
    # the lesion is a 20 × 10 px rectangle: its long axis is the diagonal, between the pixel
    # centres' (21.0 px) and the outer edges' (22.4 px); at 0.1 mm/px 2.1 to 2.24 mm
    m = analysis.findings["us"][0].measurements
    assert 2.09 <= m.long_axis_mm <= 2.25
    text = rows["Ultrasound"]
    assert text.startswith(f"{m.long_axis_mm:.1f} × {m.short_axis_mm:.1f} mm, ")
    assert text.endswith(f"{m.area_mm2:.1f} mm²") and 1.7 <= m.area_mm2 <= 2.0
    assert text == lesion_size_text(analysis.findings["us"], say_uncalibrated=True)
    uncalibrated = make_study_analysis(study)
    assert "(uncalibrated)" in dict(view_rows(uncalibrated))["Ultrasound"]


def test_loading_a_file_is_not_a_study(tmp_path) -> None:  # noqa: ANN001
    from desktop.models.study.cases import open_study

    with pytest.raises(LoadError, match="not a study"):
        open_study(tmp_path)
    assert dataclasses.is_dataclass(StudyResult)
