"""CT volume cases in the datastore (engine.datastore.volumes): stored with provenance, reopened,
repaired after a kill, refused on another grid, and never seen by the 2D paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.atomic import write_bytes_atomic
from engine.datastore import Datastore, DatastoreError, materialise, pin_cases
from engine.datastore.masks import file_sha256
from engine.datastore.volumes import VolumeStore, pin_volume_cases
from engine.synth.kidney_ct import generate_kidney_ct
from engine.synth.nifti_out import write_nifti

NAMES = ("background", "kidney", "tumour")
SHAPE = (12, 24, 32)


def _ct(folder: Path, name: str, seed: int = 0) -> tuple[Path, np.ndarray]:
    sample = generate_kidney_ct(np.random.default_rng(seed), "malignant", shape=SHAPE)
    path = folder / f"{name}.nii.gz"
    write_nifti(path, sample.volume, sample.spacing_mm)
    return path, sample.labels


def _png(path: Path) -> Path:
    from PIL import Image

    Image.fromarray(np.full((20, 30), 128, np.uint8)).save(path)
    return path


def test_a_volume_case_is_stored_with_provenance_and_reopens(tmp_path: Path) -> None:
    ct, truth = _ct(tmp_path, "kid1")
    root = tmp_path / "home"
    store = VolumeStore(root)
    case = store.add_volume(ct)
    record = store.case(case)
    assert record.image.read_bytes() == ct.read_bytes()  # a NIfTI is copied byte for byte
    assert record.grid.shape == SHAPE and record.split in ("train", "val")
    store.save_original(case, truth, "kidney-ct-x", NAMES, {"benign": 0.3, "malignant": 0.7})
    with pytest.raises(DatastoreError, match="never replaced"):
        store.save_original(case, truth, "other", NAMES)
    corrected = truth.copy()
    corrected[corrected == 2] = 1  # the reader says: no tumour, all kidney
    assistance = {"method": "reader-drawn with AI assistance", "model_ids": ["click-1"]}
    first = store.save_correction(case, corrected, "dr.a", NAMES, "benign", assistance)
    second = store.save_correction(case, corrected, "dr.b", NAMES)

    reopened = VolumeStore(root).case(case)
    final = reopened.final
    assert final is not None and final == second.final
    assert (final.author, final.revision, final.label) == ("dr.b", 2, None)
    assert first.final is not None and first.final.assistance == assistance
    assert first.final.label == "benign"
    assert final.sha256 == file_sha256(final.path)
    voxel_ml = float(np.prod(record.grid.spacing_mm)) / 1000
    assert final.volumes_ml["kidney"] == pytest.approx((corrected == 1).sum() * voxel_ml)
    assert final.volumes_ml["tumour"] == 0.0
    assert final.correction_dice["kidney"] < 1.0 and final.correction_dice["tumour"] == 0.0
    assert np.array_equal(VolumeStore(root).final_labels(case), corrected)
    assert np.array_equal(VolumeStore(root).original_labels(case), truth)
    assert reopened.status == "corrected"
    assert VolumeStore(root).case_id_for(ct) == case  # the CT opened again is this case


def test_a_dicom_series_is_written_once_as_nifti_on_its_own_grid(tmp_path: Path) -> None:
    from engine.io import read_series
    from engine.report.ct_series import derived_ct_series
    from engine.types import Volume

    sample = generate_kidney_ct(np.random.default_rng(1), "benign", shape=(6, 24, 32))
    folder = tmp_path / "series"
    folder.mkdir()
    for k, ds in enumerate(derived_ct_series(Volume(sample.volume, sample.spacing_mm))):
        ds.save_as(folder / f"slice{k:03d}.dcm", enforce_file_format=True)
    store = VolumeStore(tmp_path / "home")
    case = store.add_volume(folder)
    stored = store.volume(case)
    series = read_series(folder)
    assert np.array_equal(stored.voxels, series.voxels)
    assert np.allclose(stored.spacing_mm, series.spacing_mm, rtol=1e-5)
    assert np.allclose(stored.origin, series.origin, atol=1e-3)
    assert store.case_id_for(folder) == case


class _Killed(BaseException):
    """What a kill -9 does to the writer: nothing after this line runs."""


@pytest.mark.parametrize("killed_after_write", [True, False])
def test_a_correction_killed_mid_save_is_repaired_on_reopen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed_after_write: bool
) -> None:
    import engine.datastore.volumes.store as volumes

    ct, truth = _ct(tmp_path, "kid2")
    root = tmp_path / "home"
    store = VolumeStore(root)
    case = store.add_volume(ct)
    store.save_correction(case, truth, "dr.a", NAMES)
    before = store.case(case).final
    changed = truth.copy()
    changed[0] = 1

    def dying_write(path: Path, data: bytes) -> Path:
        if killed_after_write:
            write_bytes_atomic(path, data)
        raise _Killed

    monkeypatch.setattr(volumes, "write_bytes_atomic", dying_write)
    with pytest.raises(_Killed):
        store.save_correction(case, changed, "dr.b", NAMES)
    index = json.loads((root / "datastore.json").read_text())
    assert "pending_final" in index["cases"][case]  # the kill left the announcement
    monkeypatch.undo()

    after = VolumeStore(root).case(case).final  # opening the datastore repairs it
    index = json.loads((root / "datastore.json").read_text())
    assert "pending_final" not in index["cases"][case]
    assert after is not None and before is not None
    if killed_after_write:  # its NIfTI made it to disk: the pending record wins
        assert (after.author, after.revision) == ("dr.b", 2)
        assert np.array_equal(VolumeStore(root).final_labels(case), changed)
    else:
        assert after == before
    assert file_sha256(after.path) == after.sha256


def test_a_label_map_of_another_grid_is_refused_with_the_reason(tmp_path: Path) -> None:
    ct, truth = _ct(tmp_path, "kid3")
    store = VolumeStore(tmp_path / "home")
    case = store.add_volume(ct)
    with pytest.raises(DatastoreError, match=r"not on the grid of case 'kid3': labels are"):
        store.save_correction(case, truth[:-1], "dr.a", NAMES)
    other = tmp_path / "other.nii.gz"
    write_nifti(other, truth, (5.0, 2.8, 2.8))  # same voxels, other slice spacing
    with pytest.raises(DatastoreError, match=r"other.nii.gz: not on the grid.*voxel size"):
        store.save_correction(case, other, "dr.a", NAMES)
    with pytest.raises(DatastoreError, match="values 0..1"):
        store.save_correction(case, truth, "dr.a", NAMES[:2])
    fine = tmp_path / "fine.nii.gz"
    write_nifti(fine, truth, store.case(case).grid.spacing_mm)
    assert store.save_correction(case, fine, "dr.a", NAMES).final is not None
    assert store.case(case).final is not None


def test_the_2d_paths_never_see_a_volume_case(tmp_path: Path) -> None:
    root = tmp_path / "home"
    store = Datastore(root)
    image = store.add_case(_png(tmp_path / "us1.png"))
    store.save_correction(image, np.ones((20, 30), np.uint8), "benign", "dr.a")
    volumes = VolumeStore(store)
    ct, truth = _ct(tmp_path, "kid4")
    ids = []
    for k in range(6):  # enough that both splits hold a volume case
        ids.append(volumes.add_volume(ct, case_id=f"ct{k}"))
        volumes.save_correction(ids[-1], truth, "dr.a", NAMES)

    assert [r.case_id for r in store.cases()] == [image]
    assert {r.case_id for r in volumes.cases()} == set(ids)
    for split in ("train", "val"):
        assert set(pin_cases(store, split)["cases"]) <= {image}
    with pytest.raises(DatastoreError, match="is a volume case, not a 2D image case"):
        store.case("ct0")
    with pytest.raises(DatastoreError, match="is a volume case"):
        store.save_correction("ct0", np.ones((20, 30), np.uint8), "benign", "dr.a")
    with pytest.raises(DatastoreError, match="is a 2D image case, not a volume case"):
        volumes.case(image)
    out = store.export_training_set(tmp_path / "export2d", split=None)
    assert sorted(p.name for p in (out / "images").iterdir()) == ["us1.png"]

    train = pin_volume_cases(volumes, "train")
    held = pin_volume_cases(volumes, "val")
    assert train["cases"] and held["cases"], "the fixed split should hold both"
    folder = materialise(train, tmp_path / "vol-train")
    assert sorted(p.name for p in (folder / "masks").iterdir()) == sorted(
        f"{c}.nii.gz" for c in train["cases"]
    )
    assert "us1" not in (folder / "labels.csv").read_text()
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["cases"][next(iter(train["cases"]))]["author"] == "dr.a"
    with pytest.raises(DatastoreError, match="held-out cases are never trained on"):
        materialise({**train, "split": "val"}, tmp_path / "wrong")
