"""Model ▸ Lesion Detection: the breast model's operating points with their numbers, the
choice applied to the model on screen and kept by name across models, and an analysis made
at another point dropped so the case is read again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PySide6.QtWidgets import QMenu

from desktop.models.image.findings_table import probabilities_text
from desktop.models.image.state import CaseState
from desktop.widgets.image.operating_point_menu import AS_SHIPPED, DetectionMenu
from engine.analysis import analyze
from engine.inference import LoadedModel, cached_model
from engine.model_catalog import models_root


def _breast() -> LoadedModel:
    return cached_model(models_root() / "breast-us", "cpu")


def test_menu_lists_the_points_and_applies_the_choice(qapp) -> None:  # noqa: ANN001
    menu = QMenu()
    used: list[LoadedModel] = []
    detection = DetectionMenu(menu, used.append)
    breast = _breast()
    detection.refresh(breast)
    assert list(detection.actions) == [AS_SHIPPED, "sensitive", "balanced", "specific"]
    assert detection.actions[AS_SHIPPED].isChecked()
    text = detection.actions["balanced"].text()
    assert text.startswith("Balanced (finds") and "normal scans" in text and "threshold" in text
    detection.actions["specific"].trigger()
    assert used[-1].spec.operating_point == "specific" and used[-1].session is breast.session
    detection.refresh(used[-1])
    assert detection.actions["specific"].isChecked()

    default = cached_model(models_root() / "default", "cpu")  # a model with one threshold
    assert detection.apply(default).spec.operating_point == ""
    detection.refresh(default)
    assert [a.text() for a in detection.menu.actions()] == ["This model has one threshold"]
    assert detection.apply(breast).spec.operating_point == "specific"  # kept by name


def test_an_analysis_at_another_point_is_dropped(tmp_path: Path) -> None:
    pixels = np.random.default_rng(1).normal(90, 20, (120, 160)).clip(0, 255).astype(np.uint8)
    PILImage.fromarray(pixels).save(tmp_path / "scan.png")
    breast = _breast()
    state = CaseState(breast)
    assert state.open(tmp_path / "scan.png")
    request = state.start_analysis()
    assert state.finish_analysis(request, analyze(state.image, breast, tta=False))
    state.set_model(breast)  # the same model and point: the analysis stays
    assert state.analysis is not None
    balanced = breast.at_operating_point("balanced")
    state.set_model(balanced)
    assert state.analysis is None and state.can_analyze  # read again at the new point
    again = analyze(state.image, balanced, tta=False)
    assert "(balanced: threshold 77 %)" in probabilities_text(again)
