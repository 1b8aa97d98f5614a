"""The registry and its gate: scored through onnxruntime on the same held-out cases, promote
only if not worse, keep the rejected with their numbers, activate, roll back; and the
`lesionlens models` subcommands on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.bundle import default_bundle_dir, read_bundle
from engine.cli import main
from engine.evaluation import evaluate_folder
from engine.inference import load_model
from engine.registry import ACTIVE, REJECTED, Gate, Registry, RegistryError
from engine.synth.dataset import write_dataset


def _variant(bundle: Path, out: Path, model_id: str, threshold: float) -> Path:
    """A copy of a bundle under another id with another mask threshold: 0 marks every pixel
    as lesion (Dice > 0 on any case with a lesion), above 1 marks none (Dice exactly 0)."""
    shutil.copytree(bundle, out)
    spec = json.loads((out / "model.json").read_text())
    spec.update(model_id=model_id, threshold=threshold)
    (out / "model.json").write_text(json.dumps(spec))
    return out


@pytest.fixture(scope="module")
def heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset("nodes", 4, tmp_path_factory.mktemp("heldout"), seed=5, val_fraction=0)


def test_empty_registry_is_the_shipped_default_and_writes_nothing(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "home")
    (entry,) = registry.list()
    assert entry.status == ACTIVE and entry.path == default_bundle_dir()
    assert registry.active_id() == read_bundle(default_bundle_dir()).spec.model_id
    assert registry.active_dir() == default_bundle_dir()
    assert not (tmp_path / "home").exists()
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()


def test_gate_promotes_the_not_worse_and_keeps_the_worse_as_rejected(
    tmp_path: Path, tiny_bundle: Path, heldout: Path, capsys: pytest.CaptureFixture
) -> None:
    home = tmp_path / "home"
    registry = Registry(home)
    builtin = registry.active_id()
    good = _variant(tiny_bundle, tmp_path / "good", "tiny-good", threshold=0.0)
    same = _variant(tiny_bundle, tmp_path / "same", "tiny-same", threshold=0.0)
    bad = _variant(tiny_bundle, tmp_path / "bad", "tiny-bad", threshold=1.5)

    lenient = Gate(heldout, dice_margin=1.0, accuracy_margin=1.0)
    assert registry.promote(good, lenient).promoted
    assert registry.active_id() == "tiny-good"
    assert (home / "models" / builtin / "model.onnx").is_file()  # the default, copied in

    verdict = registry.promote(same, Gate(heldout))
    reference = evaluate_folder(heldout, load_model(good, device="cpu"))["summary"]
    assert verdict.promoted and verdict.baseline_id == "tiny-good"
    assert verdict.baseline["dice"] == pytest.approx(reference["dice"])
    assert verdict.candidate["dice"] == pytest.approx(reference["dice"]) and reference["dice"] > 0
    assert verdict.candidate["n"] == 4

    verdict = registry.promote(bad, Gate(heldout))
    assert not verdict.promoted and verdict.candidate["dice"] == 0.0
    assert "Dice fell" in verdict.reasons[0] and "REJECTED" in verdict.summary()
    assert registry.active_id() == "tiny-same"
    entry = registry.get("tiny-bad")
    assert entry.status == REJECTED and entry.gate["candidate"]["dice"] == 0.0
    assert entry.gate["baseline"]["dice"] == pytest.approx(reference["dice"])
    with pytest.raises(RegistryError, match="already registered"):
        registry.promote(bad, Gate(heldout))
    with pytest.raises(RegistryError, match="rejected by the gate"):
        registry.activate("tiny-bad")

    assert [e.model_id for e in registry.list()] == [builtin, "tiny-good", "tiny-same", "tiny-bad"]
    assert registry.previous_id() == "tiny-good"  # what Roll back offers (GUI button)
    assert registry.rollback().model_id == "tiny-good"
    assert registry.active_dir() == home / "models" / "tiny-good"
    assert registry.previous_id() == builtin
    assert registry.rollback().model_id == builtin
    assert registry.previous_id() is None
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()
    events = [h["event"] for h in registry.history()]
    assert events == ["initial", "promoted", "promoted", "rejected", "rollback", "rollback"]

    # The same registry through `lesionlens models`.
    assert main(["models", "list", "--home", str(home)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 4 and listing[0].startswith(f"* {builtin}")
    assert "rejected" in listing[3] and "held-out Dice 0.0000" in listing[3]
    assert main(["models", "activate", "tiny-bad", "--home", str(home)]) == 2
    assert "rejected by the gate" in capsys.readouterr().err
    assert main(["models", "activate", "tiny-bad", "--force", "--home", str(home)]) == 0
    assert main(["models", "activate", "tiny-same", "--home", str(home)]) == 0
    assert main(["models", "rollback", "--home", str(home)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "active: tiny-bad"
    assert Registry(home).active_id() == "tiny-bad"
    state = json.loads((home / "models" / "registry.json").read_text())
    assert state["schema_version"] == 1 and state["active"] == "tiny-bad"
