"""The volume and study pages run the registry's active model of their family: a promoted
CT fine-tune is what Analyze runs next, and a rollback takes it back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from desktop.main_window import MainWindow
from engine.bundle import read_bundle
from engine.model_catalog import bundle_for_volume, shipped_bundles
from engine.registry import VOLUME, Registry, Verdict


class PromotingGate:
    def judge(self, candidate_dir: str | Path, baseline_dir: str | Path) -> Verdict:
        return Verdict(
            promoted=True,
            candidate_id=read_bundle(candidate_dir).spec.model_id,
            baseline_id=read_bundle(baseline_dir).spec.model_id,
            candidate={"n": 1, "dice": 0.5, "accuracy": 1.0},
            baseline={"n": 1, "dice": 0.4, "accuracy": 1.0},
            heldout="held-out",
            heldout_id="test",
            dice_margin=0.01,
            accuracy_margin=0.02,
        )


def _candidate(bundle: Path, out: Path, model_id: str) -> Path:
    shutil.copytree(bundle, out)
    spec = json.loads((out / "model.json").read_text())
    spec["model_id"] = model_id
    (out / "model.json").write_text(json.dumps(spec))
    return out


def test_the_pages_use_the_familys_promoted_model(window: MainWindow, tmp_path: Path) -> None:
    shipped = bundle_for_volume()
    assert shipped is not None, "no shipped volume model: make model-ct"
    study = next(b for b in shipped_bundles() if b.spec.task == "views")
    views = [i.view for i in study.spec.inputs]
    assert window.volume_mode.volume_bundle().directory == shipped.directory
    assert window.study_page.state.find_bundle(views).directory == study.directory

    registry = Registry(window.review_store.root)
    registry.promote(_candidate(shipped.directory, tmp_path / "ct-a", "ct-a"), PromotingGate())
    assert window.volume_mode.volume_bundle().spec.model_id == "ct-a"
    promoted = _candidate(study.directory, tmp_path / "study-a", "study-a")
    registry.promote(promoted, PromotingGate())
    assert window.study_page.state.find_bundle(list(reversed(views))).spec.model_id == "study-a"
    registry.rollback(VOLUME)
    assert window.volume_mode.volume_bundle().directory.name == shipped.spec.model_id
    assert window.state.model.spec.task == "image"  # the 2D model stays the image family's
