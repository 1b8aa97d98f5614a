"""Model ▸ Model for This Case / Folder with the shipped image bundles (lymph node, breast):
the menus list both, a choice is applied before the analysis, and the proposal picks the
breast model for a breast-tagged image and the node model for a node scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from desktop.widgets.image.model_picker import PROPOSED, ModelPicker
from engine.inference import cached_model
from engine.model_catalog import image_bundles
from engine.model_choice import propose_model
from engine.synth.dataset import iter_node_samples
from engine.types import Image


@pytest.fixture
def shipped() -> dict[str, Path]:
    bundles = {b.directory.name: b.directory for b in image_bundles()}
    assert {"breast-us", "default"} <= set(bundles), f"shipped image bundles: {sorted(bundles)}"
    return bundles


def _picker(qapp, case: Path, used: list[Path], jobs: list) -> ModelPicker:  # noqa: ANN001
    menu = QMenu()
    qapp.menu_keepalive = menu  # the picker's submenus live as long as the test
    return ModelPicker(
        menu,
        current_case=lambda: case,
        current_folder=lambda: case.parent,
        current_model=lambda: None,
        use_model=used.append,
        start_job=lambda *args: jobs.append(args),
        notify=lambda text: None,
        resume=lambda: None,
    )


def test_menus_list_every_image_bundle_and_apply_the_choice(
    qapp, shipped: dict[str, Path], tmp_path: Path
) -> None:  # noqa: ANN001
    used: list[Path] = []
    jobs: list = []
    picker = _picker(qapp, tmp_path / "site" / "case1.png", used, jobs)
    texts = [a.text() for a in picker.case_menu.actions()]
    assert texts[0] == PROPOSED and len(texts) == len(picker.bundles) + 1 >= 3
    assert any(t.startswith("breast-us:") for t in texts)
    assert any(t.startswith("default:") for t in texts)
    breast = next(a for a in picker.case_menu.actions() if a.text().startswith("breast-us:"))
    breast.trigger()
    assert used == [shipped["breast-us"]] and not jobs
    assert breast.isChecked()
    picker.folder_menu.actions()[0].trigger()  # the folder is still on "proposed"
    assert picker.choices.choice_for(tmp_path / "site" / "case1.png") == shipped["breast-us"]


def test_without_a_choice_the_proposal_runs_on_the_worker(
    qapp, shipped: dict[str, Path], tmp_path: Path
) -> None:  # noqa: ANN001
    used: list[Path] = []
    jobs: list = []
    picker = _picker(qapp, tmp_path / "case.png", used, jobs)
    sample = next(iter(iter_node_samples(1, seed=5)))[1]
    assert picker.apply(Image(pixels=sample.image)) is True
    assert picker.choosing and len(jobs) == 1 and not used


def test_proposal_follows_the_body_part_tag_then_the_scope_score(
    shipped: dict[str, Path],
) -> None:
    models = [cached_model(shipped["default"]), cached_model(shipped["breast-us"])]
    sample = next(iter(iter_node_samples(1, seed=11)))[1]
    node_scan = Image(pixels=sample.image, spacing_mm=(sample.spacing_mm,) * 2)
    tagged = Image(pixels=sample.image, metadata={"BodyPartExamined": "BREAST"})
    by_tag = propose_model(tagged, models)
    assert by_tag.bundle_dir == shipped["breast-us"]
    assert "BodyPartExamined 'BREAST'" in by_tag.reason
    by_scope = propose_model(node_scan, models)
    assert by_scope.bundle_dir == shipped["default"], by_scope.reason
    scores = by_scope.scores
    default_id = models[0].spec.model_id
    breast_id = models[1].spec.model_id
    assert scores[default_id] is not None and scores[breast_id] is not None
    assert scores[default_id] < scores[breast_id]


def test_the_current_model_stays_while_the_image_is_in_its_scope(
    shipped: dict[str, Path],
) -> None:
    node, breast = cached_model(shipped["default"]), cached_model(shipped["breast-us"])
    sample = next(iter(iter_node_samples(1, seed=11)))[1]
    node_scan = Image(pixels=sample.image, spacing_mm=(sample.spacing_mm,) * 2)
    kept = propose_model(node_scan, [node, breast], current=node)
    assert kept.bundle_dir == shipped["default"]
    assert "in scope for the current model" in kept.reason
    neck = Image(pixels=sample.image, metadata={"BodyPartExamined": "NECK"})
    by_tag = propose_model(neck, [node, breast], current=breast)  # a tag still decides
    assert by_tag.bundle_dir == shipped["default"] and "NECK" in by_tag.reason
