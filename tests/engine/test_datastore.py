"""The datastore: cases in, AI masks kept apart from corrections, fixed held-out split,
canonical export, active-learning order, and an index that survives kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.datastore import (
    CORRECTED,
    HELDOUT,
    NEW,
    PREDICTED,
    TRAIN,
    Datastore,
    DatastoreError,
    materialise,
    pin_cases,
    split_for,
)
from engine.datastore.masks import file_sha256

SHAPE = (40, 56)


def _png(path: Path, seed: int, shape: tuple[int, int] = SHAPE) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)
    PILImage.fromarray(pixels).save(path)
    return path


def _box(r0: int, r1: int, c0: int, c1: int, shape: tuple[int, int] = SHAPE) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[r0:r1, c0:c1] = 1
    return mask


def _ids(split: str, n: int) -> list[str]:
    """The first n ids of the form c<k> that the stable hash puts in `split`."""
    return [c for c in (f"c{k}" for k in range(500)) if split_for(c) == split][:n]


def _read_png(path: Path) -> np.ndarray:
    return np.asarray(PILImage.open(path))


def test_case_lifecycle_keeps_original_and_measures_the_correction(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "home")
    image = _png(tmp_path / "scan one.png", 1)
    case = store.add_case(image)
    assert case == "scan_one"
    record = store.case(case)
    assert record.status == NEW and record.shape == SHAPE
    assert record.image.read_bytes() == image.read_bytes()  # copied in byte for byte
    assert store.add_case(image) == "scan_one-2"  # same name again: a new id, nothing lost

    ai = _box(10, 30, 10, 40)
    store.save_prediction(case, ai, "model-a", {"benign": 0.7, "malignant": 0.3})
    assert store.case(case).status == PREDICTED
    with pytest.raises(DatastoreError, match="never replaced"):
        store.save_prediction(case, ai, "model-b", {"benign": 0.1, "malignant": 0.9})

    final = _box(12, 34, 10, 44)
    record = store.save_correction(case, final, "malignant", "dr.a")
    expected = 2 * (ai & final).sum() / (ai.sum() + final.sum())  # Dice by hand
    assert record.final.correction_dice == pytest.approx(expected)
    assert record.status == CORRECTED and record.final.revision == 1
    assert record.original.model_id == "model-a" and record.final.author == "dr.a"
    np.testing.assert_array_equal(_read_png(record.original.path), ai * 255)
    np.testing.assert_array_equal(_read_png(record.final.path), final * 255)

    again = store.save_correction(case, ai, "benign", "dr.b")
    assert again.final.revision == 2 and again.final.updated > record.final.updated
    assert again.final.correction_dice == pytest.approx(1.0)
    np.testing.assert_array_equal(_read_png(again.original.path), ai * 255)  # untouched

    with pytest.raises(DatastoreError, match="mask is 10x10"):
        store.save_correction(case, np.ones((10, 10)), "benign", "dr.a")
    with pytest.raises(DatastoreError, match="no case"):
        store.case("missing")
    index = json.loads((tmp_path / "home" / "datastore.json").read_text())
    assert index["schema_version"] == 1 and set(index["cases"]) == {"scan_one", "scan_one-2"}


def test_heldout_split_is_stable_about_a_fifth_and_never_recomputed(tmp_path: Path) -> None:
    splits = [split_for(f"case-{k}") for k in range(3000)]
    assert 0.17 < splits.count(HELDOUT) / len(splits) < 0.23
    assert splits == [split_for(f"case-{k}") for k in range(3000)]  # stable across calls
    store = Datastore(tmp_path / "home")
    held, trained = _ids(HELDOUT, 1)[0], _ids(TRAIN, 1)[0]
    for case in (held, trained):
        store.add_case(_png(tmp_path / f"{case}.png", 2), case_id=case)
    reopened = Datastore(tmp_path / "home", heldout_fraction=0.9)  # a later, different policy
    assert reopened.case(held).split == HELDOUT and reopened.case(trained).split == TRAIN


def test_export_is_canonical_and_pins_are_enforced(tmp_path: Path) -> None:
    from engine.evaluation import read_labels

    store = Datastore(tmp_path / "home")
    train_ids, held_ids = _ids(TRAIN, 3), _ids(HELDOUT, 2)
    masks = {}
    for k, case in enumerate(train_ids + held_ids):
        store.add_case(_png(tmp_path / f"{case}.png", k), case_id=case)
        masks[case] = _box(5 + k, 25 + k, 8, 30)
        store.save_correction(case, masks[case], ("benign", "malignant")[k % 2], "dr.a")
    store.add_case(_png(tmp_path / "uncorrected.png", 9))  # never exported

    out = store.export_training_set(tmp_path / "train", split=TRAIN)
    labels = read_labels(out)
    assert sorted(labels) == sorted(train_ids)
    for case in train_ids:
        np.testing.assert_array_equal(_read_png(out / "masks" / f"{case}.png") > 0, masks[case] > 0)
        assert (out / "images" / f"{case}.png").read_bytes() == store.case(case).image.read_bytes()
    split_rows = (out / "split.csv").read_text().splitlines()
    assert split_rows[0] == "case,split" and all(r.endswith(",train") for r in split_rows[1:])

    both = store.export_training_set(tmp_path / "all", split=None)
    assert sorted(read_labels(both)) == sorted(train_ids + held_ids)

    selection = pin_cases(store, TRAIN)  # what a fine-tuning request carries
    assert json.loads(json.dumps(selection)) == selection
    assert sorted(read_labels(materialise(selection, tmp_path / "m"))) == sorted(train_ids)
    held_folder = materialise({"folder": str(both), "split": HELDOUT}, tmp_path / "h")
    assert sorted(read_labels(held_folder)) == sorted(held_ids)

    pins = {c: store.case(c).final.updated for c in train_ids}
    assert sorted(read_labels(store.export_training_set(tmp_path / "p", pins=pins))) == sorted(
        train_ids
    )
    store.save_correction(train_ids[0], masks[train_ids[1]], "benign", "dr.b")
    with pytest.raises(DatastoreError, match="changed since it was pinned"):
        store.export_training_set(tmp_path / "p2", pins=pins)
    held_pin = {held_ids[0]: store.case(held_ids[0]).final.updated}
    with pytest.raises(DatastoreError, match="never trained on"):
        store.export_training_set(tmp_path / "p3", split=TRAIN, pins=held_pin)
    assert not (tmp_path / "p2").exists() and not (tmp_path / "p3").exists()


def test_most_useful_to_correct_puts_uncertain_and_missed_cases_first(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    from engine.datastore import usefulness_score
    from engine.inference import load_model
    from engine.io import load_image

    store = Datastore(tmp_path / "home")
    cases = [store.add_case(_png(tmp_path / f"u{k}.png", k), case_id=f"u{k}") for k in range(5)]
    lesion = _box(10, 30, 10, 40)
    entropy_low, entropy_high = np.full(SHAPE, 0.05), np.full(SHAPE, 0.8)
    probs = {"benign": 0.6, "malignant": 0.4}
    store.save_prediction("u0", lesion, "m", probs, uncertainty=entropy_low, spread=0.01)
    store.save_prediction("u1", lesion, "m", probs, uncertainty=entropy_high, spread=0.2)
    store.save_prediction("u2", np.zeros(SHAPE), "m", probs, uncertainty=entropy_low, spread=0.0)
    store.save_prediction("u3", lesion, "m", probs, uncertainty=entropy_high, spread=0.0)
    store.save_correction("u4", lesion, "benign", "dr.a")  # corrected: not listed

    stored = store.most_useful_to_correct()
    assert [u.case_id for u in stored] == ["u2", "u1", "u3", "u0"]  # none found, most unsure
    u1 = stored[1]
    assert (u1.spread, u1.entropy, u1.score) == pytest.approx((0.2, 0.8, 1.0))
    assert stored[0].no_lesion and not u1.no_lesion

    model = load_model(tiny_bundle, device="cpu")  # another model: predicted afresh
    ranked = store.most_useful_to_correct(model)
    assert [u.case_id for u in ranked] != [] and "u4" not in {u.case_id for u in ranked}
    fresh = {u.case_id: u.score for u in ranked}
    for case in cases[:4]:
        prediction = model.predict(load_image(store.case(case).image))
        expected = usefulness_score(prediction.mask, prediction.uncertainty, prediction.spread)
        assert fresh[case] == pytest.approx(expected[0])
    assert [u.score for u in ranked] == sorted(fresh.values(), reverse=True)


CHILD = """
import sys, numpy as np
from pathlib import Path
from engine.datastore import Datastore
root, images, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
store = Datastore(root)
rng = np.random.default_rng(seed)
ids = [c.case_id for c in store.cases()]
pool = sorted(images.glob("*.png"))
for i in range(100000):
    if i % 7 == 3:
        ids.append(store.add_case(pool[i % len(pool)]))
    case = ids[int(rng.integers(len(ids)))]
    r0, c0 = (int(v) for v in rng.integers(0, 20, 2))
    mask = np.zeros((40, 56), dtype=np.uint8)
    mask[r0 : r0 + 15, c0 : c0 + 25] = 1
    store.save_correction(case, mask, ["benign", "malignant"][i % 2], f"child{seed}")
    print(i, flush=True)
"""


def _check_consistent(root: Path) -> int:
    """Open, parse, and check every listed file; returns the number of corrections recorded."""
    from engine.metrics import dice

    store = Datastore(root)
    index = json.loads((root / "datastore.json").read_text())
    assert index["schema_version"] == 1 and "pending_final" not in json.dumps(index)
    revisions = 0
    for record in store.cases():
        assert all(path.is_file() for path in record.views.values())
        if record.original is not None:
            assert record.original.path.is_file()
        if record.final is not None:
            assert record.final.path.is_file()
            assert file_sha256(record.final.path) == record.final.sha256
            if record.original is not None:
                size = dice(_read_png(record.original.path), _read_png(record.final.path))
                assert record.final.correction_dice == pytest.approx(size)
            revisions += record.final.revision
    assert not list(root.rglob(".*.tmp"))  # a killed writer's temporaries are cleared
    return revisions


def test_datastore_survives_kill_9_at_random_moments(tmp_path: Path) -> None:
    root, images = tmp_path / "home", tmp_path / "pool"
    images.mkdir()
    for k in range(4):
        _png(images / f"pool{k}.png", 100 + k)
    store = Datastore(root)
    for k in range(3):
        case = store.add_case(_png(tmp_path / f"k{k}.png", k))
        store.save_prediction(case, _box(5, 25, 5, 35), "m", {"benign": 0.5, "malignant": 0.5})
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    rng = np.random.default_rng(0)
    recorded = [0]
    for round_ in range(5):
        child = subprocess.Popen(
            [sys.executable, str(script), str(root), str(images), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        child.stdout.readline()  # it is writing now
        time.sleep(float(rng.uniform(0.0, 0.4)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        recorded.append(_check_consistent(root))
    assert recorded[-1] > recorded[1] > 0  # the children did write, and it was kept


def test_measurements_are_kept_beside_the_labels_and_replaced_whole(tmp_path: Path) -> None:
    """Issue 20: the reader's calibration and calipers are stored with the case."""
    store = Datastore(tmp_path / "root")
    case_id = store.add_case(_png(tmp_path / "a.png", 1))
    assert store.measurements(case_id) == {}
    calipers = {"calibration_mm": [0.1, 0.1], "calipers": [[[1.0, 2.0], [3.0, 4.0]]]}
    store.save_measurements(case_id, calipers)
    again = Datastore(tmp_path / "root").measurements(case_id)  # read back from disk
    assert again["calibration_mm"] == [0.1, 0.1] and again["calipers"] == calipers["calipers"]
    assert "updated" in again
    assert store.case(case_id).final is None  # measurements are no label: never trained on
    store.save_measurements(case_id, {})
    assert store.measurements(case_id) == {}
