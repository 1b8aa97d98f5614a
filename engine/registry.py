"""Which model is in use, which came before, and which were turned away: the model registry.

<root>/models/<model-id>/   bundles (model.onnx, model.json, metrics.json, weights.pt)
<root>/models/registry.json active id, the activation stack rollback walks back through,
                            every model with its gate numbers, and an append-only history

A fine-tuned candidate replaces the active model only through `Registry.promote`, whose gate
scores both models through onnxruntime (engine.evaluation, exactly what users run) on the
same fixed held-out cases and refuses the candidate if its Dice or accuracy is worse beyond a
margin. Refused candidates are kept, with their numbers, so nobody has to wonder why.

While the registry file does not exist yet the shipped default bundle is the active model;
the first change copies it in, so the registry never depends on files it does not own.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from engine.atomic import write_json_atomic
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore.export import build_folder, folder_fingerprint
from engine.datastore.home import data_root
from engine.errors import LesionLensError

SCHEMA_VERSION = 1
REGISTRY_NAME = "registry.json"
DICE_MARGIN = 0.01
ACCURACY_MARGIN = 0.02
ACTIVE, AVAILABLE, REJECTED = "active", "available", "rejected"
# What a registered copy of a bundle holds (scope.json: the scope model, engine.scope).
BUNDLE_FILES = ("model.onnx", "model.json", "metrics.json", "weights.pt", "scope.json")


class RegistryError(LesionLensError):
    """The registry cannot do what was asked (unknown id, nothing to roll back to, ...)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Verdict:
    """The gate's decision with the numbers behind it (both models, same held-out cases)."""

    promoted: bool
    candidate_id: str
    baseline_id: str
    candidate: dict[str, Any]  # evaluate_folder summary: n, dice, accuracy, auc, ece, ...
    baseline: dict[str, Any]
    heldout: str
    heldout_id: str
    dice_margin: float
    accuracy_margin: float
    reasons: tuple[str, ...] = ()

    def summary(self) -> str:
        word = "PROMOTED" if self.promoted else "REJECTED"
        lines = [
            f"{word} {self.candidate_id} against {self.baseline_id} on "
            f"{self.candidate.get('n')} held-out cases ({self.heldout_id})",
            _change("Dice", self.baseline, self.candidate, "dice", self.dice_margin),
            _change("accuracy", self.baseline, self.candidate, "accuracy", self.accuracy_margin),
        ]
        return "\n".join(lines + [f"  why: {r}" for r in self.reasons])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data


def _change(name: str, before: dict, after: dict, key: str, margin: float) -> str:
    b, a = float(before[key]), float(after[key])
    return f"  {name}: {b:.4f} -> {a:.4f} ({a - b:+.4f}; allowed drop {margin:.3f})"


@dataclass(frozen=True)
class Gate:
    """Promote only if neither held-out Dice nor accuracy drops by more than its margin."""

    heldout: Path  # a canonical folder holding only the fixed held-out cases
    dice_margin: float = DICE_MARGIN
    accuracy_margin: float = ACCURACY_MARGIN
    device: str = "cpu"

    def judge(self, candidate_dir: str | Path, baseline_dir: str | Path) -> Verdict:
        from engine.evaluation import evaluate_folder
        from engine.inference import load_model

        heldout = Path(self.heldout)
        candidate = load_model(candidate_dir, device=self.device)
        baseline = load_model(baseline_dir, device=self.device)
        after = evaluate_folder(heldout, candidate)["summary"]
        before = evaluate_folder(heldout, baseline)["summary"]
        reasons = []
        if after["dice"] < before["dice"] - self.dice_margin:
            reasons.append(
                f"held-out Dice fell from {before['dice']:.4f} to {after['dice']:.4f}, "
                f"more than the margin {self.dice_margin}"
            )
        if after["accuracy"] < before["accuracy"] - self.accuracy_margin:
            reasons.append(
                f"held-out accuracy fell from {before['accuracy']:.4f} to "
                f"{after['accuracy']:.4f}, more than the margin {self.accuracy_margin}"
            )
        return Verdict(
            promoted=not reasons,
            candidate_id=candidate.spec.model_id,
            baseline_id=baseline.spec.model_id,
            candidate=after,
            baseline=before,
            heldout=str(heldout),
            heldout_id=folder_fingerprint(heldout),
            dice_margin=self.dice_margin,
            accuracy_margin=self.accuracy_margin,
            reasons=tuple(reasons),
        )


@dataclass(frozen=True)
class ModelEntry:
    model_id: str
    path: Path
    status: str  # active, available or rejected
    registered: str
    parent: str | None = None
    source: str = ""  # builtin, promoted, rejected
    gate: dict[str, Any] | None = field(default=None, compare=False)


class Registry:
    """Bundles under <root>/models and registry.json; every change is locked and atomic."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = data_root(root)
        self.models_dir = self.root / "models"
        self.path = self.models_dir / REGISTRY_NAME
        self._lock: FileLock | None = None

    # -- reading -------------------------------------------------------------------------

    def active_id(self) -> str:
        state = self._read()
        return state["active"] if state else _builtin_id()

    def previous_id(self) -> str | None:
        """The model Roll back would return to (None when the active model is the first)."""
        state = self._read()
        return state["stack"][-2] if state and len(state["stack"]) > 1 else None

    def active_dir(self) -> Path:
        """The bundle folder to load for inference and to fine-tune from."""
        state = self._read()
        if not state:
            return default_bundle_dir()
        return self._bundle_dir(state, state["active"])

    def list(self) -> list[ModelEntry]:
        """Every registered model, oldest first (the shipped default alone while empty)."""
        state = self._read()
        if not state:
            return [ModelEntry(_builtin_id(), default_bundle_dir(), ACTIVE, "", source="builtin")]
        return [self._entry(state, model_id) for model_id in state["models"]]

    def get(self, model_id: str) -> ModelEntry:
        state = self._read()
        if not state:
            if model_id == _builtin_id():
                return self.list()[0]
            raise RegistryError(f"{self.path}: no model {model_id!r} (the registry is empty)")
        if model_id not in state["models"]:
            known = ", ".join(state["models"])
            raise RegistryError(f"{self.path}: no model {model_id!r}; registered: {known}")
        return self._entry(state, model_id)

    def history(self) -> list[dict[str, Any]]:
        state = self._read()
        return list(state["history"]) if state else []

    # -- changing ------------------------------------------------------------------------

    def promote(self, candidate_dir: str | Path, gate: Gate) -> Verdict:
        """Judge the candidate against the active model; register it as the new active model
        if the gate passes, else as rejected with its numbers. Returns the verdict."""
        candidate = read_bundle(candidate_dir)
        model_id = candidate.spec.model_id
        if model_id in (self._read() or {}).get("models", {}):
            raise RegistryError(f"{self.path}: a model {model_id!r} is already registered")
        baseline_id = self.active_id()
        verdict = gate.judge(candidate.directory, self.active_dir())
        with self._locked():
            state = self._read_or_start()
            if state["active"] != baseline_id:
                raise RegistryError(
                    f"the active model changed from {baseline_id} to {state['active']} while "
                    "the gate ran; run the gate again"
                )
            self._install(state, candidate.directory, model_id)
            status = AVAILABLE if verdict.promoted else REJECTED
            state["models"][model_id] = {
                "path": f"{model_id}",
                "registered": _now(),
                "parent": candidate.spec.raw.get("parent_model_id"),
                "status": status,
                "source": "promoted" if verdict.promoted else "rejected",
                "gate": verdict.to_json(),
            }
            event = {"at": _now(), "model_id": model_id, "from": baseline_id}
            if verdict.promoted:
                state["active"] = model_id
                state["stack"].append(model_id)
                state["history"].append({**event, "event": "promoted"})
            else:
                state["history"].append({**event, "event": "rejected"})
            self._write(state)
        return verdict

    def activate(self, model_id: str, force: bool = False) -> ModelEntry:
        """Make a registered model the active one (a rejected one only with force)."""
        with self._locked():
            state = self._read_or_start()
            if model_id not in state["models"]:
                known = ", ".join(state["models"])
                raise RegistryError(f"{self.path}: no model {model_id!r}; registered: {known}")
            if state["models"][model_id]["status"] == REJECTED and not force:
                raise RegistryError(
                    f"{model_id} was rejected by the gate ({_reasons(state, model_id)}); "
                    "activate it anyway with force"
                )
            if state["active"] != model_id:
                previous = state["active"]
                state["active"] = model_id
                state["stack"].append(model_id)
                state["history"].append(
                    {"at": _now(), "event": "activated", "model_id": model_id, "from": previous}
                )
                self._write(state)
            return self._entry(state, model_id)

    def rollback(self) -> ModelEntry:
        """Back to the model that was active before the current one."""
        with self._locked():
            state = self._read_or_start()
            if len(state["stack"]) < 2:
                raise RegistryError(
                    f"{self.path}: nothing to roll back to ({state['active']} is the first model)"
                )
            previous = state["stack"].pop()
            state["active"] = state["stack"][-1]
            state["history"].append(
                {"at": _now(), "event": "rollback", "model_id": state["active"], "from": previous}
            )
            self._write(state)
            return self._entry(state, state["active"])

    # -- internals -----------------------------------------------------------------------

    def _locked(self) -> FileLock:
        if self._lock is None:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.models_dir / ".lock"), timeout=120)
        return self._lock

    def _read(self) -> dict[str, Any] | None:
        if not self.path.is_file():
            return None
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RegistryError(f"{self.path}: cannot be read ({exc})") from exc
        version = state.get("schema_version") if isinstance(state, dict) else None
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise RegistryError(f"{self.path}: schema_version {version!r} is not supported")
        return state

    def _read_or_start(self) -> dict[str, Any]:
        """The registry, created on first change with the shipped default as its first model."""
        state = self._read()
        if state:
            return state
        builtin = _builtin_id()
        state = {
            "schema_version": SCHEMA_VERSION,
            "active": builtin,
            "stack": [builtin],
            "models": {},
            "history": [{"at": _now(), "event": "initial", "model_id": builtin, "from": None}],
        }
        if not (self.models_dir / builtin).is_dir():
            self._install(state, default_bundle_dir(), builtin)
        state["models"][builtin] = {
            "path": builtin,
            "registered": _now(),
            "parent": None,
            "status": AVAILABLE,
            "source": "builtin",
            "gate": None,
        }
        return state

    def _install(self, state: dict[str, Any], bundle_dir: Path, model_id: str) -> None:
        target = self.models_dir / model_id
        if target.exists():
            if model_id in state["models"]:
                raise RegistryError(f"{target}: model {model_id!r} is already registered")
            shutil.rmtree(target)  # left by an install that died before the registry write

        def fill(staging: Path) -> None:
            for name in BUNDLE_FILES:
                if (bundle_dir / name).is_file():
                    shutil.copyfile(bundle_dir / name, staging / name)
            read_bundle(staging)

        build_folder(target, fill)
        target.chmod(0o755)

    def _write(self, state: dict[str, Any]) -> None:
        write_json_atomic(self.path, state)

    def _bundle_dir(self, state: dict[str, Any], model_id: str) -> Path:
        path = self.models_dir / state["models"][model_id]["path"]
        if not path.is_dir():
            raise RegistryError(f"{path}: the bundle of {model_id} is missing")
        return path

    def _entry(self, state: dict[str, Any], model_id: str) -> ModelEntry:
        raw = state["models"][model_id]
        return ModelEntry(
            model_id=model_id,
            path=self.models_dir / raw["path"],
            status=ACTIVE if state["active"] == model_id else raw["status"],
            registered=raw["registered"],
            parent=raw.get("parent"),
            source=raw.get("source", ""),
            gate=raw.get("gate"),
        )


def _builtin_id() -> str:
    return read_bundle(default_bundle_dir()).spec.model_id


def _reasons(state: dict[str, Any], model_id: str) -> str:
    gate = state["models"][model_id].get("gate") or {}
    return "; ".join(gate.get("reasons", [])) or "no reason recorded"


def describe_entry(entry: ModelEntry) -> str:
    """One line per model for `lesionlens models list` and the GUI's history."""
    marker = "*" if entry.status == ACTIVE else " "
    line = f"{marker} {entry.model_id:<48} {entry.status:<9} {entry.registered or 'shipped'}"
    gate = entry.gate or {}
    if gate.get("candidate") and gate.get("baseline"):
        after, before = gate["candidate"], gate["baseline"]
        line += (
            f"  held-out Dice {after['dice']:.4f} (was {before['dice']:.4f}), accuracy "
            f"{after['accuracy']:.3f} (was {before['accuracy']:.3f}), n={after.get('n')}"
        )
    if entry.parent:
        line += f"  parent {entry.parent}"
    return line
