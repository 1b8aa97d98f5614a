"""Which model is in use, which came before, and which were turned away: the model registry.

<root>/models/<model-id>/   bundles (model.onnx, model.json, metrics.json, weights.pt)
<root>/models/registry.json active id, the activation stack rollback walks back through,
                            every model with its gate numbers, and an append-only history

Models come in families, one per kind of model a case is read by, and each family has its
own active model, rollback stack and built-in default (the shipped bundle it starts from):

  "image"            single 2D images; built-in: the shipped default bundle
  "volume"           CT volumes; built-in: engine.model_catalog.bundle_for_volume()
  "views:<a>+<b>..." multi-view studies taking exactly those views (sorted); built-in:
                     engine.model_catalog.bundle_for_views(views)

A bundle's family comes from its model.json (task, and the inputs' views for task
"views"), so a fine-tuned CT model is judged against the active CT model and, promoted,
becomes what CT volumes are read with; the image model is untouched.

registry.json (schema_version 1, additive since families came; a file written before them
reads unchanged as an image-only registry):

  {"schema_version": 1,
   "active": ID, "stack": [ID, ...],            the image family, as it always was
   "families": {FAMILY: {"active": ID, "stack": [ID, ...]}, ...}   every other family
                                                that has been started (absent: none)
   "models": {ID: {"path", "registered", "parent", "status", "source", "gate",
                   "family"}},                  "family" absent: "image"
   "history": [{"at", "event", "model_id", "from", "family"}, ...]}

A family is started (its built-in copied in) by the first change in it, so the registry never
depends on files it does not own; until then its built-in is its active model.

A fine-tuned candidate replaces the active model only through `Registry.promote`, whose gate
scores both models through onnxruntime (engine.evaluation, exactly what users run) on the
same fixed held-out cases. It is statistics, not a coin: it needs at least Gate.min_cases
held-out cases (else the candidate is kept as available, to be tried, never promoted), and
compares Dice case by case (a study model that segments no view: the probability it gives
the reader's confirmed class), promoting only if the lower bound of a seeded paired bootstrap
interval of the mean difference is above -margin (and accuracy does not drop beyond its
margin). Refused candidates are kept, with their numbers, so nobody has to wonder why.

While the registry file does not exist yet the shipped default bundle is the active image
model; the first change copies it in.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from engine.atomic import recover_folders, write_json_atomic
from engine.bundle import default_bundle_dir, read_bundle
from engine.datastore.export import build_folder, folder_fingerprint
from engine.datastore.home import data_root
from engine.errors import LesionLensError
from engine.metrics import paired_bootstrap_ci
from engine.model_catalog import bundle_for_views, bundle_for_volume, shipped_bundles

SCHEMA_VERSION = 1
REGISTRY_NAME = "registry.json"
DICE_MARGIN = 0.01
ACCURACY_MARGIN = 0.02
# What the gate pairs case by case: Dice, or for a study model that segments no view the
# probability each model gives the reader's confirmed class.
DICE_SCORE, CLASS_SCORE = "Dice", "confirmed-class probability"
MIN_HELDOUT_CASES = 10  # below this many paired held-out cases the gate never promotes
RESAMPLES, CONFIDENCE = 2000, 0.95  # the paired bootstrap of the Dice difference
ACTIVE, AVAILABLE, REJECTED = "active", "available", "rejected"
# The source of a candidate the gate could not judge (too few held-out cases): available to
# try, never promoted.
TOO_FEW = "too few held-out cases"
# What a registered copy of a bundle holds (scope.json: the scope model, engine.scope).
BUNDLE_FILES = ("model.onnx", "model.json", "metrics.json", "weights.pt", "scope.json")
IMAGE, VOLUME, VIEWS_PREFIX = "image", "volume", "views:"  # model families (module docstring)


class RegistryError(LesionLensError):
    """The registry cannot do what was asked (unknown id, nothing to roll back to, ...)."""


def views_family(views: Iterable[str]) -> str:
    """The family of the study models taking exactly these views ("views:cc+mlo")."""
    names = sorted({str(v) for v in views})
    if not names:
        raise RegistryError("a study model family needs at least one view name")
    return VIEWS_PREFIX + "+".join(names)


def family_views(family: str) -> tuple[str, ...] | None:
    """The view names of a "views:..." family (None for the image and volume families)."""
    if not family.startswith(VIEWS_PREFIX):
        return None
    return tuple(family[len(VIEWS_PREFIX) :].split("+"))


def family_of(spec: Any) -> str:
    """The family of a bundle's spec (engine.bundle.ModelSpec): its task, and for a study
    model its views, decide which active model it is judged against and may replace."""
    if spec.task == VOLUME:
        return VOLUME
    if spec.task == "views":
        return views_family(i.view for i in spec.inputs)
    return IMAGE


def check_family(family: str) -> str:
    """The family name itself, or a RegistryError naming the ones that exist."""
    if family in (IMAGE, VOLUME) or (family_views(family) and all(family_views(family) or ())):
        return family
    raise RegistryError(
        f"unknown model family {family!r}: use image, volume or views:<view>+<view>"
    )


def family_title(family: str) -> str:
    """How the CLI and the GUI name a family: "image model", "CT volume model", ..."""
    views = family_views(family)
    if views:
        return f"study model ({', '.join(views)})"
    return "CT volume model" if family == VOLUME else "image model"


def builtin_dir(family: str) -> Path | None:
    """The shipped bundle a family starts from (None: nothing shipped for it)."""
    check_family(family)
    if family == IMAGE:
        return default_bundle_dir()
    bundle = bundle_for_volume() if family == VOLUME else bundle_for_views(family_views(family))
    return bundle.directory if bundle is not None else None


def shipped_families() -> list[str]:
    """Every family a shipped bundle starts: image first, then volume, then the studies."""
    found = {family_of(b.spec) for b in shipped_bundles()}
    return [IMAGE] + sorted(found - {IMAGE}, key=lambda f: (f != VOLUME, f))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Verdict:
    """The gate's decision with the numbers behind it (both models, same held-out cases).

    n, dice_difference and dice_ci are the paired comparison: the candidate's Dice minus the
    baseline's, case by case, its mean and bootstrap confidence interval (for a study model
    that segments no view, paired_score says the pairs are the probability each model gives
    the reader's confirmed class instead). cases_needed > 0
    means there were too few held-out cases to promote at all: the candidate is kept as
    available (it can be tried) but not promoted."""

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
    n: int = 0  # held-out cases in the paired Dice comparison (those with a lesion)
    min_cases: int = MIN_HELDOUT_CASES
    cases_needed: int = 0  # more reviewed held-out cases before the gate can promote
    dice_difference: float | None = None  # mean of candidate - baseline, per case
    dice_ci: tuple[float, float] | None = None  # its bootstrap interval
    confidence: float = CONFIDENCE
    resamples: int = RESAMPLES
    seed: int = 0
    heldout_cases: tuple[str, ...] = ()
    paired_dice: tuple[tuple[str, float, float], ...] = ()  # (case, baseline, candidate)
    paired_score: str = DICE_SCORE  # what the pairs compare (CLASS_SCORE: no view segmented)

    @property
    def too_few_cases(self) -> bool:
        return self.cases_needed > 0

    @property
    def word(self) -> str:
        if self.promoted:
            return "PROMOTED"
        return "NOT PROMOTED (too few held-out cases)" if self.too_few_cases else "REJECTED"

    def summary(self) -> str:
        lines = [
            f"{self.word} {self.candidate_id} against {self.baseline_id} on "
            f"{self.candidate.get('n')} held-out cases ({self.heldout_id})",
            _change("Dice", self.baseline, self.candidate, "dice", self.dice_margin),
            _change("accuracy", self.baseline, self.candidate, "accuracy", self.accuracy_margin),
        ]
        if self.dice_difference is not None:
            lines.append(f"  paired {self.paired_score} difference: {self.difference_text()}")
        return "\n".join(lines + [f"  why: {r}" for r in self.reasons])

    def difference_text(self) -> str:
        """ "+0.0123 (95 % CI −0.0040 to +0.0290, n=12)": the paired comparison in one line."""
        if self.dice_difference is None:
            return f"not measured (n={self.n})"
        return gate_difference_text(self.to_json())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["dice_ci"] = list(self.dice_ci) if self.dice_ci is not None else None
        data["heldout_cases"] = list(self.heldout_cases)
        data["paired_dice"] = [list(row) for row in self.paired_dice]
        data["too_few_cases"] = self.too_few_cases
        return data


def _change(name: str, before: dict, after: dict, key: str, margin: float) -> str:
    b, a = float(before.get(key, "nan")), float(after.get(key, "nan"))
    return f"  {name}: {b:.4f} -> {a:.4f} ({a - b:+.4f}; allowed drop {margin:.3f})"


def paired_dice(
    candidate_rows: list[dict[str, Any]],
    baseline_rows: list[dict[str, Any]],
    classes: tuple[str, ...],
) -> list[tuple[str, float, float]]:
    """(case, baseline Dice, candidate Dice) for every held-out case both models scored that
    has a lesion (a label among the model's classes: what the summary Dice averages over) and
    a Dice (a study model that segments no view has none)."""
    before = {
        r["case"]: float(r["dice"]) for r in baseline_rows if r["label"] in classes and "dice" in r
    }
    return [
        (r["case"], before[r["case"]], float(r["dice"]))
        for r in sorted(candidate_rows, key=lambda r: r["case"])
        if r["label"] in classes and r["case"] in before and "dice" in r
    ]


def paired_class_probability(
    candidate_rows: list[dict[str, Any]],
    baseline_rows: list[dict[str, Any]],
    classes: tuple[str, ...],
) -> list[tuple[str, float, float]]:
    """(case, baseline, candidate) probability of the reader's confirmed class, for every
    held-out case both models scored: the paired score of a study model that segments no
    view (the bone-scan pair), which has no Dice to pair. A proper score, so a model that
    is more confidently right scores higher and one that is confidently wrong lower."""
    before = {
        r["case"]: float(r["probabilities"][r["label"]])
        for r in baseline_rows
        if r["label"] in classes
    }
    return [
        (r["case"], before[r["case"]], float(r["probabilities"][r["label"]]))
        for r in sorted(candidate_rows, key=lambda r: r["case"])
        if r["label"] in classes and r["case"] in before
    ]


def paired_volume_dice(
    candidate_rows: list[dict[str, Any]], baseline_rows: list[dict[str, Any]]
) -> list[tuple[str, float, float]]:
    """(case, baseline Dice, candidate Dice) for every held-out volume both models scored:
    every CT has kidneys to segment, so each case counts, with or without a confirmed class."""
    before = {r["case"]: float(r["dice"]) for r in baseline_rows}
    return [
        (r["case"], before[r["case"]], float(r["dice"]))
        for r in sorted(candidate_rows, key=lambda r: r["case"])
        if r["case"] in before
    ]


def needed_text(n: int, min_cases: int) -> str:
    """The sentence the GUI shows when the held-out set is too small to promote."""
    more = min_cases - n
    return (
        f"only {n} held-out case{'s' if n != 1 else ''} with a lesion; the gate needs "
        f"{min_cases} to promote: review {more} more held-out case{'s' if more != 1 else ''} "
        f"(about 1 reviewed case in 5 is held out). The candidate can be tried but not promoted"
    )


@dataclass(frozen=True)
class Gate:
    """Promote only with at least min_cases held-out cases, if the lower bound of the
    bootstrap interval of the paired Dice difference (candidate - baseline, per case) is
    above -dice_margin, and if held-out accuracy does not drop by more than its margin."""

    heldout: Path  # a canonical folder holding only the fixed held-out cases
    dice_margin: float = DICE_MARGIN
    accuracy_margin: float = ACCURACY_MARGIN
    device: str = "cpu"
    min_cases: int = MIN_HELDOUT_CASES
    resamples: int = RESAMPLES
    confidence: float = CONFIDENCE
    seed: int = 0

    def decide(
        self,
        pairs: list[tuple[str, float, float]],
        accuracy_before: float,
        accuracy_after: float,
        score: str = "Dice",
    ) -> dict[str, Any]:
        """The decision on paired held-out scores (case, baseline, candidate: Dice, or the
        `score` named) and the two accuracies: {"reasons" (empty: promote), "cases_needed",
        "dice_difference", "dice_ci"}."""
        n = len(pairs)
        mean = ci = None
        if pairs:
            diffs = np.array([c - b for _, b, c in pairs])
            mean, lo, hi = paired_bootstrap_ci(diffs, self.resamples, self.confidence, self.seed)
            ci = (lo, hi)
        reasons = []
        needed = max(0, self.min_cases - n)
        if needed:
            reasons.append(needed_text(n, self.min_cases))
        elif ci is not None and not ci[0] > -self.dice_margin:
            reasons.append(
                f"the paired held-out {score} difference is {mean:+.4f}, and the lower bound of "
                f"its {self.confidence * 100:.0f} % interval, {ci[0]:+.4f}, is not above "
                f"-{self.dice_margin} (n={n})"
            )
        if accuracy_after < accuracy_before - self.accuracy_margin:
            reasons.append(
                f"held-out accuracy fell from {accuracy_before:.4f} to "
                f"{accuracy_after:.4f}, more than the margin {self.accuracy_margin}"
            )
        return {"reasons": reasons, "cases_needed": needed, "dice_difference": mean, "dice_ci": ci}

    def judge(self, candidate_dir: str | Path, baseline_dir: str | Path) -> Verdict:
        from engine.inference import load_model

        heldout = Path(self.heldout)
        # Weights against weights: a shipped baseline's int8 copy would move its numbers by
        # up to the quantisation gate's tolerance, which is not what the candidate changed.
        candidate = load_model(candidate_dir, device=self.device, precision="fp32")
        baseline = load_model(baseline_dir, device=self.device, precision="fp32")
        if candidate.spec.task != baseline.spec.task:
            raise RegistryError(
                f"{candidate_dir}: a {candidate.spec.task} model cannot be gated against "
                f"{baseline.spec.model_id}, a {baseline.spec.task} model"
            )
        paired_score = DICE_SCORE
        if candidate.spec.task == "volume":  # CT volumes: engine.volume.evaluation's scoring
            from engine.volume.evaluation import gate_scores, volume_folder_fingerprint

            scored_after = gate_scores(heldout, candidate)
            scored_before = gate_scores(heldout, baseline)
            pairs = paired_volume_dice(scored_after["cases"], scored_before["cases"])
            heldout_id = volume_folder_fingerprint(heldout)
        else:  # images, or studies through the multi-view scorer: the same pairing
            score = _scorer(candidate.spec.task)
            scored_after = score(heldout, candidate)
            scored_before = score(heldout, baseline)
            pairs = paired_dice(
                scored_after["cases"], scored_before["cases"], candidate.spec.classes
            )
            if candidate.spec.task == "views" and not any(
                "dice" in r for r in scored_after["cases"]
            ):  # a study model that segments no view: its class is all it says
                pairs = paired_class_probability(
                    scored_after["cases"], scored_before["cases"], candidate.spec.classes
                )
                paired_score = CLASS_SCORE
            heldout_id = folder_fingerprint(heldout)
        after, before = scored_after["summary"], scored_before["summary"]
        nan = float("nan")  # no lesion case held out: no accuracy (and n=0 never promotes)
        decision = self.decide(
            pairs, before.get("accuracy", nan), after.get("accuracy", nan), paired_score
        )
        return Verdict(
            promoted=not decision["reasons"],
            candidate_id=candidate.spec.model_id,
            baseline_id=baseline.spec.model_id,
            candidate=after,
            baseline=before,
            heldout=str(heldout),
            heldout_id=heldout_id,
            dice_margin=self.dice_margin,
            accuracy_margin=self.accuracy_margin,
            reasons=tuple(decision["reasons"]),
            n=len(pairs),
            min_cases=self.min_cases,
            cases_needed=decision["cases_needed"],
            dice_difference=decision["dice_difference"],
            dice_ci=decision["dice_ci"],
            confidence=self.confidence,
            resamples=self.resamples,
            seed=self.seed,
            heldout_cases=tuple(r["case"] for r in scored_after["cases"]),
            paired_dice=tuple(pairs),
            paired_score=paired_score,
        )


def _scorer(task: str) -> Any:
    """How the gate scores a model of this task on its held-out folder: rows with a per-case
    "dice" and a summary (engine.evaluation for images; the multi-view scorer for studies)."""
    if task == "views":
        from engine.study.evaluation import gate_scores

        return gate_scores
    from engine.evaluation import evaluate_folder

    return evaluate_folder


@dataclass(frozen=True)
class ModelEntry:
    model_id: str
    path: Path
    status: str  # active, available or rejected (active: within its family)
    registered: str
    parent: str | None = None
    source: str = ""  # builtin, promoted, rejected
    gate: dict[str, Any] | None = field(default=None, compare=False)
    family: str = IMAGE


class Registry:
    """Bundles under <root>/models and registry.json; every change is locked and atomic.

    Every reading and changing call takes the model family (module docstring), "image" by
    default, so the calls written for the one image model keep their meaning."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = data_root(root)
        self.models_dir = self.root / "models"
        self.path = self.models_dir / REGISTRY_NAME
        self._lock: FileLock | None = None
        self._repaired = False

    # -- reading -------------------------------------------------------------------------

    def families(self, shipped: bool = True) -> list[str]:
        """The families there are: image first, then (shipped) every family a shipped bundle
        starts, then every family the registry has started."""
        state = self._read() or {}
        known = shipped_families() if shipped else [IMAGE]
        started = sorted(set(state.get("families", {})) - set(known))
        return known + started

    def active_id(self, family: str = IMAGE) -> str:
        own = self._family(self._read(), family)
        return own["active"] if own else self._builtin(family)[1]

    def previous_id(self, family: str = IMAGE) -> str | None:
        """The model Roll back would return to (None when the active model is the first)."""
        own = self._family(self._read(), family)
        return own["stack"][-2] if own and len(own["stack"]) > 1 else None

    def active_dir(self, family: str = IMAGE) -> Path:
        """The bundle folder to load for inference and to fine-tune from."""
        found = self.family_dir(family)
        if found is None:
            raise RegistryError(
                f"{self.path}: no {family_title(family)} is installed or registered"
            )
        return found

    def family_dir(self, family: str = IMAGE) -> Path | None:
        """active_dir, or None when the family has neither a registered model nor a shipped
        built-in (a study of views no model takes)."""
        state = self._read()
        own = self._family(state, family)
        if own is None:
            return builtin_dir(family)
        assert state is not None
        return self._bundle_dir(state, own["active"])

    def list(self, family: str = IMAGE) -> list[ModelEntry]:
        """Every registered model of the family, oldest first (its built-in alone while the
        family has not been started; nothing when there is none)."""
        state = self._read()
        if self._family(state, family) is None:
            found = builtin_dir(family)
            if found is None:
                return []
            builtin = read_bundle(found).spec.model_id
            return [ModelEntry(builtin, found, ACTIVE, "", source="builtin", family=family)]
        assert state is not None
        return [
            self._entry(state, model_id)
            for model_id, raw in state["models"].items()
            if raw.get("family", IMAGE) == family
        ]

    def get(self, model_id: str) -> ModelEntry:
        state = self._read()
        if state and model_id in state["models"]:
            return self._entry(state, model_id)
        for family in self.families():  # a built-in not copied in yet
            if self._family(state, family) is None:
                entry = next(iter(self.list(family)), None)
                if entry is not None and entry.model_id == model_id:
                    return entry
        if not state:
            raise RegistryError(f"{self.path}: no model {model_id!r} (the registry is empty)")
        known = ", ".join(state["models"])
        raise RegistryError(f"{self.path}: no model {model_id!r}; registered: {known}")

    def history(self) -> list[dict[str, Any]]:
        state = self._read()
        return list(state["history"]) if state else []

    # -- changing ------------------------------------------------------------------------

    def promote(self, candidate_dir: str | Path, gate: Gate) -> Verdict:
        """Judge the candidate against the active model of its family; register it as that
        family's new active model if the gate passes, else as rejected with its numbers.
        Returns the verdict."""
        candidate = read_bundle(candidate_dir)
        model_id = candidate.spec.model_id
        family = family_of(candidate.spec)
        if model_id in (self._read() or {}).get("models", {}):
            raise RegistryError(f"{self.path}: a model {model_id!r} is already registered")
        baseline_id = self.active_id(family)
        verdict = gate.judge(candidate.directory, self.active_dir(family))
        with self._locked():
            state = self._read_or_start(family)
            own = self._family(state, family)
            assert own is not None
            if own["active"] != baseline_id:
                raise RegistryError(
                    f"the active {family_title(family)} changed from {baseline_id} to "
                    f"{own['active']} while the gate ran; run the gate again"
                )
            self._install(state, candidate.directory, model_id)
            if verdict.promoted:
                status, source = AVAILABLE, "promoted"
            elif verdict.too_few_cases:
                status, source = AVAILABLE, TOO_FEW  # can be tried (activated), not promoted
            else:
                status, source = REJECTED, "rejected"
            state["models"][model_id] = {
                "path": f"{model_id}",
                "registered": _now(),
                "parent": candidate.spec.raw.get("parent_model_id"),
                "status": status,
                "source": source,
                "gate": verdict.to_json(),
                "family": family,
            }
            event = {"at": _now(), "model_id": model_id, "from": baseline_id, "family": family}
            if verdict.promoted:
                own["active"] = model_id
                own["stack"].append(model_id)
                state["history"].append({**event, "event": "promoted"})
            elif verdict.too_few_cases:
                state["history"].append({**event, "event": "not promoted: too few cases"})
            else:
                state["history"].append({**event, "event": "rejected"})
            self._write(state)
        return verdict

    def activate(self, model_id: str, force: bool = False) -> ModelEntry:
        """Make a registered model the active one of its family (a rejected one only with
        force); a family's built-in not copied in yet counts as registered."""
        family = self._family_of_id(model_id)
        with self._locked():
            state = self._read_or_start(family)
            if model_id not in state["models"]:
                known = ", ".join(state["models"])
                raise RegistryError(f"{self.path}: no model {model_id!r}; registered: {known}")
            if state["models"][model_id]["status"] == REJECTED and not force:
                raise RegistryError(
                    f"{model_id} was rejected by the gate ({_reasons(state, model_id)}); "
                    "activate it anyway with force"
                )
            own = self._family(state, family)
            assert own is not None
            if own["active"] != model_id:
                previous = own["active"]
                own["active"] = model_id
                own["stack"].append(model_id)
                state["history"].append(
                    {
                        "at": _now(),
                        "event": "activated",
                        "model_id": model_id,
                        "from": previous,
                        "family": family,
                    }
                )
                self._write(state)
            return self._entry(state, model_id)

    def rollback(self, family: str = IMAGE) -> ModelEntry:
        """Back to the model of the family that was active before the current one."""
        with self._locked():
            state = self._read_or_start(family)
            own = self._family(state, family)
            assert own is not None
            if len(own["stack"]) < 2:
                raise RegistryError(
                    f"{self.path}: nothing to roll back to ({own['active']} is the first "
                    f"{family_title(family)})"
                )
            previous = own["stack"].pop()
            own["active"] = own["stack"][-1]
            state["history"].append(
                {
                    "at": _now(),
                    "event": "rollback",
                    "model_id": own["active"],
                    "from": previous,
                    "family": family,
                }
            )
            self._write(state)
            return self._entry(state, own["active"])

    # -- internals -----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The registry lock; the first time, also the repair of what a killed promotion left."""
        if self._lock is None:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.models_dir / ".lock"), timeout=120)
        with self._lock:
            if not self._repaired:
                self._repair()
                self._repaired = True
            yield

    def _repair(self) -> None:
        """Under the lock no install runs, so a model folder registry.json does not list is
        an install killed before the registry write (the candidate's own folder still has it),
        and a hidden staging folder is a copy killed half-way: both go."""
        state = self._read() or {"models": {}}
        listed = {raw["path"] for raw in state["models"].values()}
        recover_folders(self.models_dir)
        for folder in self.models_dir.iterdir():
            hidden = folder.name.startswith(".")
            if folder.is_dir() and not hidden and folder.name not in listed and state["models"]:
                shutil.rmtree(folder, ignore_errors=True)

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
        families = state.get("families", {})
        if not isinstance(families, dict) or not all(
            isinstance(f, dict) and "active" in f and f.get("stack") for f in families.values()
        ):
            raise RegistryError(
                f"{self.path}: 'families' must map each family to its active id and stack"
            )
        return state

    @staticmethod
    def _family(state: dict[str, Any] | None, family: str) -> dict[str, Any] | None:
        """The family's {"active", "stack"} in the registry (the top level for images),
        None while the family has not been started."""
        check_family(family)
        if not state:
            return None
        return state if family == IMAGE else state.get("families", {}).get(family)

    def _builtin(self, family: str) -> tuple[Path, str]:
        """(folder, model id) of the family's built-in, or why there is none."""
        found = builtin_dir(family)
        if found is None:
            raise RegistryError(
                f"{self.path}: no {family_title(family)} is shipped to start the family from"
            )
        return found, read_bundle(found).spec.model_id

    def _family_of_id(self, model_id: str) -> str:
        """The family of a registered model, or of the family whose built-in it is."""
        state = self._read()
        if state and model_id in state["models"]:
            return state["models"][model_id].get("family", IMAGE)
        return self.get(model_id).family  # a built-in not copied in yet (or the error)

    def _read_or_start(self, family: str = IMAGE) -> dict[str, Any]:
        """The registry, created on first change with the shipped default as its first
        model, and the family started with its built-in as its first model."""
        state = self._read()
        if not state:
            builtin = _builtin_id()
            state = {
                "schema_version": SCHEMA_VERSION,
                "active": builtin,
                "stack": [builtin],
                "models": {},
                "history": [{"at": _now(), "event": "initial", "model_id": builtin, "from": None}],
            }
            self._register_builtin(state, default_bundle_dir(), builtin, IMAGE)
        if self._family(state, family) is None:
            folder, builtin = self._builtin(family)
            if builtin in state["models"]:
                raise RegistryError(
                    f"{self.path}: the built-in {family_title(family)} {builtin} is already "
                    f"registered in the {state['models'][builtin].get('family', IMAGE)} family"
                )
            self._register_builtin(state, folder, builtin, family)
            state.setdefault("families", {})[family] = {"active": builtin, "stack": [builtin]}
            state["history"].append(
                {
                    "at": _now(),
                    "event": "initial",
                    "model_id": builtin,
                    "from": None,
                    "family": family,
                }
            )
        return state

    def _register_builtin(
        self, state: dict[str, Any], folder: Path, model_id: str, family: str
    ) -> None:
        if not (self.models_dir / model_id).is_dir():
            self._install(state, folder, model_id)
        state["models"][model_id] = {
            "path": model_id,
            "registered": _now(),
            "parent": None,
            "status": AVAILABLE,
            "source": "builtin",
            "gate": None,
            **({} if family == IMAGE else {"family": family}),
        }

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
        family = raw.get("family", IMAGE)
        own = self._family(state, family)
        return ModelEntry(
            model_id=model_id,
            path=self.models_dir / raw["path"],
            status=ACTIVE if own and own["active"] == model_id else raw["status"],
            registered=raw["registered"],
            parent=raw.get("parent"),
            source=raw.get("source", ""),
            gate=raw.get("gate"),
            family=family,
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
        if gate.get("dice_difference") is not None:
            line += f", paired difference {gate_difference_text(gate)}"
        if gate.get("too_few_cases"):
            line += f", not promoted: {gate.get('cases_needed')} more held-out cases needed"
    if entry.parent:
        line += f"  parent {entry.parent}"
    return line


def gate_difference_text(gate: dict[str, Any]) -> str:
    """Verdict.difference_text for a verdict read back from registry.json."""
    text = f"{float(gate['dice_difference']):+.4f}"
    ci = gate.get("dice_ci")
    if ci:
        confidence = float(gate.get("confidence", CONFIDENCE)) * 100
        text += f" ({confidence:.0f} % CI {float(ci[0]):+.4f} to {float(ci[1]):+.4f}"
    else:
        text += " (no interval"
    return text + f", n={gate.get('n')})"
