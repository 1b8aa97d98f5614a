"""The data root under faults (issue 22, item 6): two instances writing at once, kill -9 during
a promotion and during an export, a file system that refuses to grow. Nothing is lost, the
message says what happened, and the next start repairs what a killed writer left."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.atomic import recover_folder, replace_folder_atomic
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore import Datastore
from engine.datastore.export import export_cases, folder_fingerprint
from engine.registry import Gate, Registry
from engine.synth.dataset import write_dataset

SHAPE = (40, 56)


def _png(path: Path, seed: int, shape: tuple[int, int] = SHAPE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)
    PILImage.fromarray(pixels).save(path)
    return path


def _mask(seed: int) -> np.ndarray:
    r, c = (int(v) for v in np.random.default_rng(seed).integers(0, 20, 2))
    mask = np.zeros(SHAPE, np.uint8)
    mask[r : r + 12, c : c + 20] = 1
    return mask


def _child(script: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _store_with_cases(root: Path, images: Path, n: int) -> list[str]:
    store = Datastore(root)
    ids = []
    for k in range(n):
        case = store.add_case(_png(images / f"c{k}.png", k))
        store.save_prediction(case, _mask(k), "m", {"benign": 0.5, "malignant": 0.5})
        ids.append(case)
    return ids


# -- two instances on one data root ------------------------------------------------------

TWO_READERS = """
import sys, numpy as np
from engine.datastore import Datastore
root, who, cases = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
store = Datastore(root)
for i in range(12):
    case = cases[i % len(cases)]
    mask = np.zeros((40, 56), np.uint8)
    mask[i : i + 10, 2 : 30] = 1
    store.save_correction(case, mask, "benign", who)
    store.save_measurements(case, {"calipers": [[[1.0, 2.0], [3.0, float(i)]]], "by": who})
"""


def test_two_instances_on_one_data_root_lose_no_correction(tmp_path: Path) -> None:
    root = tmp_path / "home"
    ids = _store_with_cases(root, tmp_path / "in", 3)
    shared = ids[0]
    a = _child(TWO_READERS, root, "reader-a", f"{shared},{ids[1]}")
    b = _child(TWO_READERS, root, "reader-b", f"{shared},{ids[2]}")
    for child in (a, b):
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    store = Datastore(root)
    revisions = {r.case_id: r.final.revision for r in store.cases()}
    assert revisions == {shared: 12, ids[1]: 6, ids[2]: 6}  # every save of both counted
    for record in store.cases():
        assert record.final.path.is_file() and record.final.author in {"reader-a", "reader-b"}
    assert not list(root.rglob(".*.tmp"))


# -- kill -9 during an export --------------------------------------------------------------

EXPORTER = """
import sys
from engine.datastore import Datastore
from engine.datastore.export import export_cases
store = Datastore(sys.argv[1])
print("ready", flush=True)
while True:
    export_cases(store, sys.argv[2], split=None)
"""


def test_kill_9_during_export_keeps_a_whole_export_and_the_next_one_repairs(
    tmp_path: Path,
) -> None:
    root, out = tmp_path / "home", tmp_path / "exports" / "train"
    ids = _store_with_cases(root, tmp_path / "in", 4)
    store = Datastore(root)
    for k, case in enumerate(ids):
        store.save_correction(case, _mask(10 + k), "benign", "r")
    export_cases(store, out, split=None)
    whole = folder_fingerprint(out)
    rng = np.random.default_rng(3)
    for _ in range(6):
        child = _child(EXPORTER, root, out)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.0, 0.3)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        recover_folder(out)  # what the next export (or replace_folder_atomic) does first
        assert folder_fingerprint(out) == whole  # the old export or the new, same content
        assert sorted(p.name for p in out.parent.iterdir()) == ["train"]


def test_a_swap_killed_between_its_two_renames_is_undone(tmp_path: Path) -> None:
    out = tmp_path / "export"
    replace_folder_atomic(out, lambda d: (d / "a.txt").write_text("old"))
    out.rename(tmp_path / ".export.old")  # killed right after the first rename
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    (tmp_path / f".export.{dead}.abc123").mkdir()  # and a staging folder of a dead writer
    live = tmp_path / f".export.{os.getpid()}.zz9"
    live.mkdir()  # a writer still running keeps its staging folder
    assert recover_folder(out)
    assert (out / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "export"]


# -- kill -9 during a promotion ------------------------------------------------------------

PROMOTER = """
import sys
from pathlib import Path
from engine.registry import Gate, Registry
home, candidate, heldout = sys.argv[1:4]
registry = Registry(home)
print("ready", flush=True)
registry.promote(candidate, Gate(Path(heldout), min_cases=1, resamples=200))
print("done", flush=True)
"""


def _candidate(out: Path, model_id: str) -> Path:
    shutil.copytree(default_bundle_dir(), out)
    spec = json.loads((out / "model.json").read_text())
    (out / "model.json").write_text(json.dumps({**spec, "model_id": model_id}))
    return out


def _check_registry(home: Path) -> str:
    registry = Registry(home)
    active = registry.active_id()
    read_bundle(registry.active_dir())  # the active model is whole
    registry.activate(active)  # any locked step repairs first
    models = home / "models"
    on_disk = {p.name for p in models.iterdir() if p.is_dir()}
    assert not [n for n in on_disk if n.startswith(".")]  # no staging folder
    if registry.path.is_file():  # no orphan: every model folder is a registered model
        listed = {raw["path"] for raw in json.loads(registry.path.read_text())["models"].values()}
        assert on_disk == listed, on_disk ^ listed
    for entry in registry.list():
        read_bundle(entry.path)
    return active


def test_kill_9_during_promotion_leaves_a_working_registry(tmp_path: Path) -> None:
    home = tmp_path / "home"
    heldout = write_dataset("nodes", 2, tmp_path / "heldout", seed=5, val_fraction=0)
    builtin = _check_registry(home)
    rng = np.random.default_rng(7)
    outcomes = []
    for k in range(5):
        candidate = _candidate(tmp_path / f"cand{k}", f"candidate-{k}")
        child = _child(PROMOTER, home, candidate, heldout)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.2, 2.5)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        outcomes.append(child.returncode)
        active = _check_registry(home)
        assert active in {builtin, *(f"candidate-{i}" for i in range(k + 1))}
    # and a promotion after the kills still works
    candidate = _candidate(tmp_path / "last", "candidate-last")
    done = _child(PROMOTER, home, candidate, heldout)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert "candidate-last" in {e.model_id for e in Registry(home).list()}
    _check_registry(home)


def test_an_install_killed_before_the_registry_write_is_cleared(tmp_path: Path) -> None:
    home = tmp_path / "home"
    heldout = write_dataset("nodes", 2, tmp_path / "heldout", seed=5, val_fraction=0)
    candidate = _candidate(tmp_path / "cand", "candidate-0")
    Registry(home).promote(candidate, Gate(heldout, min_cases=1, resamples=200))
    models = home / "models"
    shutil.copytree(default_bundle_dir(), models / "orphan-model")  # installed, not registered
    (models / ".other-model.999999999.k2j").mkdir()  # half a copy of a dead process
    _check_registry(home)
    assert not (models / "orphan-model").exists()


# -- a file system that refuses to grow ----------------------------------------------------

FULL_DISK = """
import resource, sys, numpy as np
from engine.datastore import Datastore, DatastoreError
root, case = sys.argv[1], sys.argv[2]
store = Datastore(root)
noise = np.random.default_rng(0).integers(0, 2, (400, 560)).astype(np.uint8)
# files beyond 12 KB cannot be written (EFBIG): the index (~2 KB) can, this mask's PNG cannot
resource.setrlimit(resource.RLIMIT_FSIZE, (12000, 12000))
try:
    store.save_correction(case, noise, "malignant", "r2")
except DatastoreError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_full_disk_keeps_the_previous_correction_and_says_so(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse to grow a file (EFBIG), as a full disk refuses
    (ENOSPC), without a privileged tmpfs mount: the same failure path in our code."""
    root = tmp_path / "home"
    store = Datastore(root)
    case = store.add_case(_png(tmp_path / "big.png", 1, (400, 560)))
    first = np.zeros((400, 560), np.uint8)
    first[100:200, 100:300] = 1
    store.save_correction(case, first, "benign", "r1")
    before = Datastore(root).case(case).final
    index_before = (root / "datastore.json").read_text()
    child = _child(FULL_DISK, root, case)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    assert f"the correction of case {case!r} cannot be written (File too large)" in out
    assert "previous one is kept" in out
    after = Datastore(root).case(case).final  # reopening repairs what is left
    assert after == before and (root / "datastore.json").read_text() == index_before
    assert not list(root.rglob(".*.tmp"))


@pytest.mark.parametrize("limit", [50, 1500])
def test_an_export_that_cannot_be_written_leaves_the_old_export(tmp_path: Path, limit: int) -> None:
    root, out = tmp_path / "home", tmp_path / "exports" / "train"
    ids = _store_with_cases(root, tmp_path / "in", 2)
    store = Datastore(root)
    for k, case in enumerate(ids):
        store.save_correction(case, _mask(k), "benign", "r")
    export_cases(store, out, split=None)
    whole = folder_fingerprint(out)
    script = f"""
    import resource, sys
    from engine.datastore import Datastore
    from engine.datastore.export import export_cases
    store = Datastore(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
    export_cases(store, sys.argv[2], split=None)
    """
    child = _child(script, root, out)
    _, err = child.communicate(timeout=60)
    assert child.returncode != 0 and "File too large" in err
    assert folder_fingerprint(out) == whole
    assert sorted(p.name for p in out.parent.iterdir()) == ["train"]
