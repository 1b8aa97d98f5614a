"""Multi-view studies in the datastore (engine.datastore.studies): stored with provenance,
reopened, repaired after a kill between announcing and writing, kept out of every 2D path,
and exported as the views.csv folder the multi-view trainer and scorer read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.datastore import (
    CORRECTED,
    HELDOUT,
    PREDICTED,
    TRAIN,
    Datastore,
    DatastoreError,
    materialise,
    pin_cases,
    split_for,
)
from engine.datastore import studies as studies_module
from engine.datastore.masks import file_sha256
from engine.datastore.studies import ASSISTED_METHOD, KIND, StudyStore, pin_studies

SHAPES = {"anterior": (48, 20), "posterior": (48, 20)}


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs, no except clause catches it."""


def _study_folder(folder: Path, seed: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    views = {}
    for view, shape in SHAPES.items():
        path = folder / f"{view}.png"
        PILImage.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path)
        views[view] = path
    return views


def _masks(r0: int, r1: int) -> dict[str, np.ndarray]:
    masks = {}
    for view, shape in SHAPES.items():
        mask = np.zeros(shape, np.uint8)
        mask[r0:r1, 4:12] = 1
        masks[view] = mask
    return masks


def _ids(split: str, n: int) -> list[str]:
    return [c for c in (f"s{k}" for k in range(500)) if split_for(c) == split][:n]


def _confirmed(store: StudyStore, tmp: Path, case_id: str, seed: int, label: str) -> None:
    store.add_study(_study_folder(tmp / case_id, seed), case_id=case_id)
    ai = {"normal": 0.7, "metastatic": 0.3}
    store.save_prediction(case_id, _masks(0, 0), "scinti-two-view-s7", ai)
    store.save_confirmation(case_id, label, _masks(10, 20), "dr.a")


def test_a_study_is_stored_with_its_views_ai_result_and_confirmation(tmp_path: Path) -> None:
    store = StudyStore(Datastore(tmp_path / "home"))
    views = _study_folder(tmp_path / "patient 7", 1)
    case_id = store.add_study(views)
    assert case_id == "patient_7"
    record = store.study(case_id)
    assert record.status == "new" and list(record.views) == ["anterior", "posterior"]
    for view, path in views.items():  # copied in byte for byte
        assert record.views[view] == tmp_path / "home" / "images" / case_id / f"{view}.png"
        assert record.views[view].read_bytes() == path.read_bytes()
    assert record.split == split_for(case_id)

    ai_masks = _masks(5, 15)
    store.save_prediction(
        case_id, ai_masks, "scinti-two-view-s7", {"normal": 0.8, "metastatic": 0.2}
    )
    assert store.study(case_id).status == PREDICTED
    with pytest.raises(DatastoreError, match="never replaced"):
        store.save_prediction(case_id, ai_masks, "other", {"normal": 1.0, "metastatic": 0.0})

    assistance = {"method": ASSISTED_METHOD, "model_ids": ["click-v1"]}
    first = store.save_confirmation(case_id, "metastatic", _masks(5, 25), "dr.a", assistance)
    final = first.final
    assert first.status == CORRECTED and final is not None
    assert (final.label, final.author, final.revision) == ("metastatic", "dr.a", 1)
    assert final.assistance == assistance
    assert final.correction_dice["anterior"] == pytest.approx(2 * 80 / (80 + 160))
    for view, path in final.masks.items():
        assert path == tmp_path / "home" / "labels" / "final" / case_id / f"{view}.png"
        assert file_sha256(path) == final.sha256[view]
    assert first.original is not None and first.original.label == "normal"
    assert np.array_equal(store.original_masks(case_id)["posterior"], ai_masks["posterior"] > 0)

    second = store.save_confirmation(case_id, "normal", _masks(0, 0), "dr.b")
    assert second.final is not None and second.final.revision == 2
    reopened = StudyStore(Datastore(tmp_path / "home"))
    assert reopened.study(case_id).final == second.final
    assert not reopened.final_masks(case_id)["anterior"].any()
    assert reopened.find(views) == case_id  # the same files from elsewhere
    assert reopened.find(reopened.study(case_id).views) == case_id  # its own folder


def test_bad_input_is_refused_naming_the_study_and_the_reason(tmp_path: Path) -> None:
    store = StudyStore(Datastore(tmp_path / "home"))
    case_id = store.add_study(_study_folder(tmp_path / "a", 1), case_id="a")
    with pytest.raises(DatastoreError, match="already stored"):
        store.add_study(_study_folder(tmp_path / "b", 2), case_id="a")
    wrong = {"anterior": np.zeros((10, 10), np.uint8)}
    with pytest.raises(DatastoreError, match="'a' anterior: mask is 10x10, image is 48x20"):
        store.save_confirmation(case_id, "normal", wrong, "dr.a")
    with pytest.raises(DatastoreError, match="no view lateral"):
        store.save_confirmation(case_id, "normal", {"lateral": np.zeros((48, 20))}, "dr.a")
    with pytest.raises(DatastoreError, match="needs an author"):
        store.save_confirmation(case_id, "normal", _masks(0, 0), " ")
    store.save_prediction(case_id, _masks(0, 0), "m", {"normal": 0.6, "metastatic": 0.4})
    with pytest.raises(DatastoreError, match="not one of the model's classes"):
        store.save_confirmation(case_id, "benign", _masks(0, 0), "dr.a")


def test_a_kill_after_the_announcement_is_rolled_forward(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    store = StudyStore(Datastore(home))
    case_id = store.add_study(_study_folder(tmp_path / "s", 3), case_id="s")
    store.save_confirmation(case_id, "normal", _masks(0, 10), "dr.a")
    real_move = studies_module._move_staged

    def move_one_then_die(root, record):  # noqa: ANN001 - _move_staged's own signature
        first = next(iter(record["masks"]))
        real_move(root, {**record, "masks": {first: record["masks"][first]}})
        raise Killed  # one view moved into place, the other still staged

    monkeypatch.setattr(studies_module, "_move_staged", move_one_then_die)
    with pytest.raises(Killed):
        store.save_confirmation(case_id, "metastatic", _masks(20, 40), "dr.b")
    monkeypatch.undo()
    index = json.loads((home / "datastore.json").read_text())
    assert "pending_final" in index["cases"][case_id]  # announced, not committed

    repaired = StudyStore(Datastore(home))
    final = repaired.study(case_id).final
    assert final is not None and (final.label, final.revision) == ("metastatic", 2)
    for view, path in final.masks.items():
        assert file_sha256(path) == final.sha256[view]
        assert repaired.final_masks(case_id)[view][30, 6]
    assert not list(home.rglob(".*.staged"))
    assert "pending_final" not in (home / "datastore.json").read_text()


def test_a_kill_before_the_announcement_keeps_the_previous_one(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    store = StudyStore(Datastore(home))
    case_id = store.add_study(_study_folder(tmp_path / "s", 4), case_id="s")
    before = store.save_confirmation(case_id, "normal", _masks(0, 10), "dr.a").final

    def die(*_args):  # noqa: ANN002 - stands in for write_index
        raise Killed

    monkeypatch.setattr(studies_module, "write_index", die)
    with pytest.raises(Killed):  # every new PNG staged, nothing announced
        store.save_confirmation(case_id, "metastatic", _masks(20, 40), "dr.b")
    monkeypatch.undo()
    assert list(home.rglob(".*.staged"))

    repaired = StudyStore(Datastore(home))
    assert repaired.study(case_id).final == before
    assert all(file_sha256(p) == before.sha256[v] for v, p in before.masks.items())
    assert not list(home.rglob(".*.staged"))


def test_the_2d_paths_never_pick_up_a_study(tmp_path: Path) -> None:
    datastore = Datastore(tmp_path / "home")
    store = StudyStore(datastore)
    _confirmed(store, tmp_path, "study1", 1, "metastatic")
    image = tmp_path / "scan.png"
    PILImage.fromarray(np.full((48, 20), 90, np.uint8)).save(image)
    case = datastore.add_case(image)
    datastore.save_correction(case, np.ones((48, 20), np.uint8), "benign", "dr.a")

    assert [r.case_id for r in datastore.cases()] == [case]
    assert [r.case_id for r in store.studies()] == ["study1"]
    with pytest.raises(DatastoreError, match="'study1' is a study case, not a 2D image case"):
        datastore.case("study1")
    with pytest.raises(DatastoreError, match="is a study case"):
        datastore.save_correction("study1", np.ones((48, 20)), "benign", "dr.a")
    with pytest.raises(DatastoreError, match="is a image case, not a study"):
        store.study(case)
    split = datastore.case(case).split
    assert "study1" not in pin_cases(datastore, split)["cases"]
    folder = datastore.export_training_set(tmp_path / "export", split=None)
    assert (folder / "labels.csv").read_text().splitlines()[1:] == [f"{case},benign"]
    # a 2D selection naming a study is refused, not exported as an image
    selection = {"datastore": str(datastore.root), "split": None, "cases": {"study1": "x"}}
    with pytest.raises(DatastoreError, match="is a study case"):
        materialise(selection, tmp_path / "bad")
    assert [u.case_id for u in datastore.most_useful_to_correct()] == []


def test_confirmed_studies_export_as_a_views_folder_split_by_the_fixed_split(
    tmp_path: Path,
) -> None:
    datastore = Datastore(tmp_path / "home")
    store = StudyStore(datastore)
    train, held = _ids(TRAIN, 2), _ids(HELDOUT, 1)
    for k, case_id in enumerate(train + held):
        _confirmed(store, tmp_path, case_id, k, ["normal", "metastatic"][k % 2])
    store.add_study(_study_folder(tmp_path / "unread", 9), case_id="unread")  # not confirmed

    selection = pin_studies(datastore, TRAIN)
    assert selection["kind"] == KIND and sorted(selection["cases"]) == sorted(train)
    folder = materialise(selection, tmp_path / "train")
    with (folder / "views.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["case"], r["view"]) for r in rows} == {
        (c, v) for c in train for v in ("anterior", "posterior")
    }
    for row in rows:
        assert (folder / row["file"]).read_bytes() == store.study(row["case"]).views[
            row["view"]
        ].read_bytes()
        assert np.asarray(PILImage.open(folder / row["mask"]))[15, 6] == 255
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["cases"][train[0]]["author"] == "dr.a"
    heldout = materialise(pin_studies(datastore, HELDOUT), tmp_path / "heldout")
    assert (heldout / "split.csv").read_text().splitlines()[1:] == [f"{held[0]},val"]

    # a pin is checked: a confirmation changed since, or a held-out study asked as train
    store.save_confirmation(train[0], "normal", _masks(0, 5), "dr.c")
    with pytest.raises(DatastoreError, match="changed since it was pinned"):
        materialise(selection, tmp_path / "again")
    wrong = {**selection, "cases": {held[0]: store.study(held[0]).final.updated}}
    with pytest.raises(DatastoreError, match="never trained on"):
        materialise(wrong, tmp_path / "wrong")


CHILD = """
import sys, numpy as np
from engine.datastore import Datastore
from engine.datastore.studies import StudyStore
store = StudyStore(Datastore(sys.argv[1]))
rng = np.random.default_rng(int(sys.argv[2]))
for i in range(100000):
    r0 = int(rng.integers(0, 30))
    masks = {}
    for view in ("anterior", "posterior"):
        masks[view] = np.zeros((48, 20), np.uint8)
        masks[view][r0 : r0 + 12, 4:12] = 1  # the same box on both views of a revision
    store.save_confirmation(["a", "b"][i % 2], ["normal", "metastatic"][i % 2], masks, "child")
    print(i, flush=True)
"""


def test_a_study_survives_kill_9_at_random_moments(tmp_path: Path) -> None:
    """A real kill -9 of a process saving confirmations: every reopen finds each study's
    masks complete, matching the index, and all of one revision (never one view of the new
    confirmation beside one of the old)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    home = tmp_path / "home"
    store = StudyStore(Datastore(home))
    for k, case_id in enumerate(("a", "b")):
        store.add_study(_study_folder(tmp_path / case_id, k), case_id=case_id)
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    rng = np.random.default_rng(1)
    revisions = [0]
    for round_ in range(5):
        child = subprocess.Popen(
            [sys.executable, str(script), str(home), str(round_)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        child.stdout.readline()  # it is writing now
        time.sleep(float(rng.uniform(0.0, 0.4)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reopened = StudyStore(Datastore(home))
        assert "pending_final" not in (home / "datastore.json").read_text()
        assert not list(home.rglob(".*.staged")) and not list(home.rglob(".*.tmp"))
        total = 0
        for record in reopened.studies():
            final = record.final
            assert final is not None
            for view, path in final.masks.items():
                assert file_sha256(path) == final.sha256[view]
            masks = reopened.final_masks(record.case_id)
            assert np.array_equal(masks["anterior"], masks["posterior"])
            total += final.revision
        revisions.append(total)
    assert revisions[-1] > revisions[1] > 0  # the children did write, and it was kept
