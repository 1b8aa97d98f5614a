"""The registry's gate on held-out studies (engine.registry.Gate with a views bundle): scored
through the multi-view scorer, one paired Dice per study where the model segments a view;
a bone-scan pair segments none, so it is paired on the probability it gives the reader's
confirmed class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.datastore import HELDOUT, Datastore, materialise, split_for
from engine.datastore.studies import StudyStore, pin_studies
from engine.registry import CLASS_SCORE, Gate, RegistryError, paired_class_probability
from engine.study.evaluation import gate_scores

MODELS = Path(__file__).resolve().parents[3] / "resources" / "models"


def _heldout_studies(tmp_path: Path, views: dict[str, tuple], labels: tuple[str, str]) -> Path:
    """Three confirmed held-out studies of random pixels, one lesion box per view."""
    store = StudyStore(Datastore(tmp_path / "home"))
    ids = [c for c in (f"h{k}" for k in range(400)) if split_for(c) == HELDOUT][:3]
    rng = np.random.default_rng(2)
    for k, case_id in enumerate(ids):
        files, masks = {}, {}
        for view, shape in views.items():
            path = tmp_path / case_id / f"{view}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            PILImage.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path)
            files[view] = path
            masks[view] = np.zeros(shape[:2], np.uint8)
            masks[view][8:20, 8:24] = 1
        store.add_study(files, case_id=case_id)
        store.save_confirmation(case_id, labels[k % 2], masks, "dr.a")
    return materialise(pin_studies(store.store, HELDOUT), tmp_path / "heldout")


def test_a_segmenting_views_model_is_paired_on_per_study_dice(tmp_path: Path) -> None:
    heldout = _heldout_studies(
        tmp_path, {"photo": (48, 64, 3), "us": (48, 64)}, ("benign", "malignant")
    )
    skin = MODELS / "skin-fusion"
    from engine.inference import load_model

    scored = gate_scores(heldout, load_model(skin, precision="fp32"))
    for row in scored["cases"]:
        assert row["dice"] == pytest.approx(row["dice_us"])  # the one view it segments
    verdict = Gate(heldout, min_cases=3, resamples=100).judge(skin, skin)
    assert verdict.n == 3 and verdict.dice_difference == pytest.approx(0.0)
    assert verdict.promoted  # the same weights: no drop in Dice or accuracy


def test_a_views_model_that_segments_no_view_is_paired_on_the_confirmed_class(
    tmp_path: Path,
) -> None:
    heldout = _heldout_studies(
        tmp_path, {"anterior": (64, 32), "posterior": (64, 32)}, ("normal", "metastatic")
    )
    scinti = MODELS / "scinti-two-view"
    verdict = Gate(heldout, min_cases=3, resamples=100).judge(scinti, scinti)
    assert verdict.candidate["n"] == 3 and "accuracy" in verdict.candidate
    assert verdict.paired_score == CLASS_SCORE and verdict.n == 3
    for case, before, after in verdict.paired_dice:
        assert 0.0 <= before == after <= 1.0, case  # the same weights, the same probability
    assert verdict.dice_difference == pytest.approx(0.0)
    assert verdict.promoted  # no drop in the confirmed class's probability nor in accuracy
    assert f"paired {CLASS_SCORE} difference" in verdict.summary()
    # Too few held-out studies still never promote.
    few = Gate(heldout, min_cases=10).judge(scinti, scinti)
    assert few.too_few_cases and not few.promoted
    with pytest.raises(RegistryError, match="cannot be gated against"):
        Gate(heldout).judge(scinti, MODELS / "breast-us")


def test_the_confirmed_class_pairs_and_the_decision_name_their_score() -> None:
    rows_before = [
        {"case": "a", "label": "metastatic", "probabilities": {"normal": 0.4, "metastatic": 0.6}},
        {"case": "b", "label": "normal", "probabilities": {"normal": 0.7, "metastatic": 0.3}},
    ]
    rows_after = [
        {"case": "b", "label": "normal", "probabilities": {"normal": 0.2, "metastatic": 0.8}},
        {"case": "a", "label": "metastatic", "probabilities": {"normal": 0.1, "metastatic": 0.9}},
    ]
    pairs = paired_class_probability(rows_after, rows_before, ("normal", "metastatic"))
    assert pairs == [("a", 0.6, 0.9), ("b", 0.7, 0.2)]
    gate = Gate(Path("unused"), min_cases=2, resamples=200)
    decision = gate.decide(pairs * 5, 1.0, 1.0, CLASS_SCORE)  # b: confidently wrong now
    assert decision["reasons"] and CLASS_SCORE in decision["reasons"][0]
