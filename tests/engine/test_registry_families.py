"""The registry per model family: a CT candidate is judged against the active CT model and
promoted into the volume family only; rollback, activate and list per family; an old
registry.json (image only, no family keys) reads as before; the model lookup and
`lesionlens models` follow the family's active model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.bundle import default_bundle_dir, read_bundle
from engine.case_kind import IMAGE as IMAGE_CASE
from engine.case_kind import STUDY
from engine.case_kind import VOLUME as VOLUME_CASE
from engine.cli import main
from engine.errors import BundleError
from engine.model_catalog import bundle_for_views, bundle_for_volume, shipped_bundles
from engine.model_lookup import default_model_dir, find_model
from engine.registry import (
    ACTIVE,
    AVAILABLE,
    IMAGE,
    VOLUME,
    Registry,
    RegistryError,
    Verdict,
    builtin_dir,
    check_family,
    family_of,
    views_family,
)


class FixedGate:
    """A gate whose verdict is fixed: the registry's bookkeeping without scoring anything.
    It records the baseline it was handed, which is what the family rule is about."""

    def __init__(self, promoted: bool = True) -> None:
        self.promoted = promoted
        self.baselines: list[Path] = []

    def judge(self, candidate_dir: str | Path, baseline_dir: str | Path) -> Verdict:
        self.baselines.append(Path(baseline_dir))
        return Verdict(
            promoted=self.promoted,
            candidate_id=read_bundle(candidate_dir).spec.model_id,
            baseline_id=read_bundle(baseline_dir).spec.model_id,
            candidate={"n": 3, "dice": 0.5, "accuracy": 1.0},
            baseline={"n": 3, "dice": 0.4, "accuracy": 1.0},
            heldout="held-out",
            heldout_id="test",
            dice_margin=0.01,
            accuracy_margin=0.02,
            reasons=() if self.promoted else ("fixed by the test",),
        )


def _copy(bundle: Path, out: Path, model_id: str) -> Path:
    """A bundle under another model id (a stand-in for a fine-tuned candidate)."""
    shutil.copytree(bundle, out)
    spec = json.loads((out / "model.json").read_text())
    spec["model_id"] = model_id
    (out / "model.json").write_text(json.dumps(spec))
    return out


@pytest.fixture(scope="module")
def shipped_ct() -> Path:
    bundle = bundle_for_volume()
    assert bundle is not None, "no shipped volume model: make model-ct"
    return bundle.directory


def test_family_names_come_from_the_bundle(shipped_ct: Path) -> None:
    assert family_of(read_bundle(default_bundle_dir()).spec) == IMAGE
    assert family_of(read_bundle(shipped_ct).spec) == VOLUME
    assert views_family(["mlo", "cc", "mlo"]) == "views:cc+mlo"
    studies = [b for b in shipped_bundles() if b.spec.task == "views"]
    assert studies, "no shipped study model"
    for bundle in studies:
        family = family_of(bundle.spec)
        views = [i.view for i in bundle.spec.inputs]
        assert family == views_family(views) and builtin_dir(family) == bundle.directory
    assert builtin_dir(VOLUME) == shipped_ct and builtin_dir(IMAGE) == default_bundle_dir()
    assert builtin_dir("views:no-such-view") is None
    for bad in ("views:", "ct", "views:a+"):
        with pytest.raises(RegistryError, match="unknown model family"):
            check_family(bad)
    assert Registry().families(shipped=True)[:2] == [IMAGE, VOLUME]


def test_a_view_name_with_a_plus_is_refused(tmp_path: Path) -> None:
    """'+' joins the views of a family name: a view called "cc+mlo" would read as two."""
    study = next(b for b in shipped_bundles() if b.spec.task == "views")
    bad = _copy(study.directory, tmp_path / "bad", "bad-views")
    spec = json.loads((bad / "model.json").read_text())
    spec["inputs"][0]["view"] = "cc+mlo"
    (bad / "model.json").write_text(json.dumps(spec))
    with pytest.raises(BundleError, match=r"view names may not contain '\+'"):
        read_bundle(bad)


def test_a_volume_candidate_is_judged_against_and_promoted_into_the_volume_family(
    tmp_path: Path, shipped_ct: Path
) -> None:
    registry = Registry(tmp_path / "home")
    image_builtin = registry.active_id()
    ct_builtin = read_bundle(shipped_ct).spec.model_id
    assert registry.active_id(VOLUME) == ct_builtin and registry.active_dir(VOLUME) == shipped_ct
    assert [e.model_id for e in registry.list(VOLUME)] == [ct_builtin]

    gate = FixedGate()
    first = _copy(shipped_ct, tmp_path / "ct-a", "ct-a")
    verdict = registry.promote(first, gate)
    assert verdict.promoted and verdict.baseline_id == ct_builtin
    assert gate.baselines == [shipped_ct]  # never the 2D model
    assert registry.active_id(VOLUME) == "ct-a"
    assert registry.active_dir(VOLUME) == registry.models_dir / "ct-a"
    # The image family is as it was: its built-in active, nothing to roll back to.
    assert registry.active_id() == image_builtin and registry.previous_id() is None
    assert [e.model_id for e in registry.list()] == [image_builtin]
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()

    second = _copy(shipped_ct, tmp_path / "ct-b", "ct-b")
    registry.promote(second, gate)
    assert gate.baselines[-1] == registry.models_dir / "ct-a"  # the volume family's active
    rows = [(e.model_id, e.status, e.family) for e in registry.list(VOLUME)]
    assert rows == [
        (ct_builtin, AVAILABLE, VOLUME),
        ("ct-a", AVAILABLE, VOLUME),
        ("ct-b", ACTIVE, VOLUME),
    ]
    assert registry.previous_id(VOLUME) == "ct-a"
    assert registry.rollback(VOLUME).model_id == "ct-a"
    assert registry.active_id(VOLUME) == "ct-a" and registry.active_id() == image_builtin
    assert registry.activate("ct-b").family == VOLUME  # activate finds the model's family
    assert registry.active_id(VOLUME) == "ct-b" and registry.active_id() == image_builtin
    assert registry.get("ct-b").status == ACTIVE

    rejected = _copy(shipped_ct, tmp_path / "ct-c", "ct-c")
    assert not registry.promote(rejected, FixedGate(promoted=False)).promoted
    assert registry.active_id(VOLUME) == "ct-b"
    with pytest.raises(RegistryError, match="rejected by the gate"):
        registry.activate("ct-c")

    events = [(h["event"], h.get("family", IMAGE)) for h in registry.history()]
    assert events == [
        ("initial", IMAGE),
        ("initial", VOLUME),
        ("promoted", VOLUME),
        ("promoted", VOLUME),
        ("rollback", VOLUME),
        ("activated", VOLUME),
        ("rejected", VOLUME),
    ]
    state = json.loads(registry.path.read_text())
    assert state["schema_version"] == 1 and state["active"] == image_builtin
    assert state["families"][VOLUME] == {"active": "ct-b", "stack": [ct_builtin, "ct-a", "ct-b"]}


def test_an_old_image_only_registry_reads_as_before(
    tmp_path: Path, tiny_bundle: Path, shipped_ct: Path
) -> None:
    """registry.json as written before families: no "families", no "family" on a model."""
    home = tmp_path / "home"
    models = home / "models"
    builtin = read_bundle(default_bundle_dir()).spec.model_id
    _copy(tiny_bundle, models / "tiny-a", "tiny-a")
    _copy(default_bundle_dir(), models / builtin, builtin)
    old = {
        "schema_version": 1,
        "active": "tiny-a",
        "stack": [builtin, "tiny-a"],
        "models": {
            builtin: {
                "path": builtin,
                "registered": "2026-01-01T00:00:00+00:00",
                "parent": None,
                "status": AVAILABLE,
                "source": "builtin",
                "gate": None,
            },
            "tiny-a": {
                "path": "tiny-a",
                "registered": "2026-01-02T00:00:00+00:00",
                "parent": builtin,
                "status": AVAILABLE,
                "source": "promoted",
                "gate": None,
            },
        },
        "history": [{"at": "2026-01-01T00:00:00+00:00", "event": "initial", "model_id": builtin}],
    }
    (models / "registry.json").write_text(json.dumps(old))
    registry = Registry(home)
    assert registry.active_id() == "tiny-a" and registry.previous_id() == builtin
    assert registry.active_dir() == models / "tiny-a"
    assert [(e.model_id, e.status, e.family) for e in registry.list()] == [
        (builtin, AVAILABLE, IMAGE),
        ("tiny-a", ACTIVE, IMAGE),
    ]
    assert registry.active_dir(VOLUME) == shipped_ct  # not started: the shipped CT model
    assert [e.model_id for e in registry.list(VOLUME)] == [read_bundle(shipped_ct).spec.model_id]

    registry.promote(_copy(shipped_ct, tmp_path / "ct-a", "ct-a"), FixedGate())
    state = json.loads((models / "registry.json").read_text())
    assert state["active"] == old["active"] and state["stack"] == old["stack"]
    for model_id, raw in old["models"].items():
        assert state["models"][model_id] == raw  # the old entries untouched
    assert state["history"][0] == old["history"][0]
    assert registry.rollback().model_id == builtin  # the image family, as before


def test_the_model_lookup_runs_the_familys_active_model(tmp_path: Path, shipped_ct: Path) -> None:
    home = tmp_path / "home"
    assert default_model_dir(VOLUME_CASE, home=home) == shipped_ct
    assert default_model_dir(IMAGE_CASE, home=home) == default_bundle_dir()
    Registry(home).promote(_copy(shipped_ct, tmp_path / "ct-a", "ct-a"), FixedGate())
    promoted = home / "models" / "ct-a"
    assert default_model_dir(VOLUME_CASE, home=home) == promoted
    model = find_model(VOLUME_CASE, home=home, device="cpu")
    assert model.spec.model_id == "ct-a" and model.bundle.directory == promoted
    explicit = find_model(VOLUME_CASE, shipped_ct, home=home, device="cpu")
    assert explicit.bundle.directory == shipped_ct  # an explicit --model still wins
    image = find_model(IMAGE_CASE, home=home, device="cpu")
    assert image.spec.model_id == read_bundle(default_bundle_dir()).spec.model_id
    study = next(b for b in shipped_bundles() if b.spec.task == "views")
    views = [i.view for i in study.spec.inputs]
    assert default_model_dir(STUDY, views, home=home) == bundle_for_views(views).directory
    assert default_model_dir(STUDY, ["no-such-view"], home=home) is None


def test_models_cli_lists_and_rolls_back_by_family(
    tmp_path: Path, shipped_ct: Path, capsys: pytest.CaptureFixture
) -> None:
    home = tmp_path / "home"
    builtin = read_bundle(default_bundle_dir()).spec.model_id
    ct_builtin = read_bundle(shipped_ct).spec.model_id
    assert main(["models", "list", "--home", str(home)]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(f"* {builtin}")  # image only

    Registry(home).promote(_copy(shipped_ct, tmp_path / "ct-a", "ct-a"), FixedGate())
    assert main(["models", "list", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"* {builtin}") and lines[1] == "[volume] CT volume model"
    assert lines[2].startswith(f"  {ct_builtin}") and lines[3].startswith("* ct-a")
    assert len(lines) == 4

    assert main(["models", "list", "--family", "volume", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[volume] CT volume model" and len(lines) == 3
    assert main(["models", "list", "--family", "all", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[image] image model" and any(x.startswith("[views:") for x in lines)

    assert main(["models", "rollback", "--home", str(home)]) == 2  # the image family: first
    assert "nothing to roll back" in capsys.readouterr().err
    assert main(["models", "rollback", "--family", "volume", "--home", str(home)]) == 0
    assert capsys.readouterr().out.strip() == f"active: {ct_builtin} (CT volume model)"
    assert Registry(home).active_id(VOLUME) == ct_builtin
    assert main(["models", "activate", "ct-a", "--home", str(home)]) == 0
    assert capsys.readouterr().out.strip() == "active: ct-a (CT volume model)"
    assert main(["models", "list", "--family", "ct", "--home", str(home)]) == 2
    assert "unknown model family" in capsys.readouterr().err
    out = str(tmp_path / "candidate")
    assert main(["finetune", "--family", "ct", "--out", out, "--home", str(home)]) == 2
    assert "unknown model family 'ct'" in capsys.readouterr().err
