"""The feedback loop as plain Python: registry, "can we fine-tune?", one job's progress, the gate.

Qt-free (like CaseState): desktop.widgets.feedback.runner feeds it the child's stdout lines and exit
status, the panel renders its events. The job itself is the engine's: a request prepared by
engine.jobs (datastore_request + prepare_job) and the child `python -m training.finetune`, so
the GUI and `lesionlens finetune` train the same way. The candidate replaces the active model
only through the registry's gate (engine.jobs.promote_candidate); a refused one is kept as
rejected, with its numbers.

The reader chooses which model family to fine-tune (desktop.models.feedback.families: the
image model, the CT volume model once CT cases are stored, a study model once studies of
its views are): the active model, history,
rollback, readiness and counts shown are that family's, the job's base is its active model and
the gate promotes into it. Only the image family's changes reload the window's 2D model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.models.events import Events
from desktop.models.feedback.families import (
    case_noun,
    corrected_counts,
    family_readiness,
    offered_families,
)
from desktop.models.feedback.summary import duration_text
from desktop.models.reading.review_store import ReviewStore
from engine.bundle import Bundle, read_bundle
from engine.datastore import DatastoreError
from engine.errors import LesionLensError
from engine.finetune_request import FinetuneRequest
from engine.jobs import (
    DEFAULT_EPOCHS,
    bundle_replay,
    datastore_request,
    describe_event,
    describe_replay,
    finish_cancelled,
    own_replay,
    prepare_job,
    promote_candidate,
)
from engine.registry import (
    IMAGE,
    MIN_HELDOUT_CASES,
    ModelEntry,
    Registry,
    Verdict,
    family_title,
)
from engine.replay_sources import ReplaySources

IDLE, STARTING, TRAINING, GATING, DONE, FAILED, CANCELLED = (
    "idle",
    "starting",
    "training",
    "gating",
    "done",
    "failed",
    "cancelled",
)
RUNNING = (STARTING, TRAINING, GATING)
EVENTS = (
    "models_changed",  # the registry was re-read (entries, active model, rollback target)
    "readiness_changed",  # the "can fine-tune?" answer changed (reason or None)
    "job_changed",  # phase changed (idle, starting, training, gating, done, failed, cancelled)
    "progress",  # a progress event of the child arrived (its dict)
    "active_model_changed",  # the active image model is another one (its bundle folder)
    "families_changed",  # the model families offered, or the one chosen, changed
    "status",  # a line for the status bar
    "error",  # something failed; the window shows it in the error bar
)


class TrainingState:
    def __init__(self, review_store: ReviewStore, epochs: int = DEFAULT_EPOCHS) -> None:
        self.review_store = review_store
        self.registry = Registry(review_store.root)
        self.epochs = epochs
        # Extra request fields (engine.jobs request: "recipe" overrides, "threads") merged into
        # every job, so a bench or a test can pin a small recipe; empty for users.
        self.request_overrides: dict[str, Any] = {}
        self.events = Events(EVENTS)
        self.family = IMAGE  # the model family fine-tuned, shown and rolled back
        self.families: list[str] = [IMAGE]  # the families the reader can choose from
        self.entries: list[ModelEntry] = []
        self.previous_id: str | None = None
        self.active_entry: ModelEntry | None = None
        self.active_bundle: Bundle | None = None
        self.readiness: str | None = "not checked yet"
        self.corrected_counts = (0, 0)  # corrected (training, held-out) cases when ready
        self.phase = IDLE
        self.request: FinetuneRequest | None = None
        self.request_path: Path | None = None
        self.verdict: Verdict | None = None
        self._reset_progress()

    def subscribe(self, event: str, callback: Callable[..., None]) -> Callable[[], None]:
        return self.events.subscribe(event, callback)

    def _emit(self, event: str, *args: object) -> None:
        self.events.emit(event, *args)

    def _reset_progress(self) -> None:
        self.epoch, self.epochs_total, self.eta_s = 0, 0, None
        self.curve_epochs: list[int] = []
        self.losses: list[float] = []
        self.dices: list[float] = []
        self.last_text = ""
        self.child_error: str | None = None
        self.result: dict[str, Any] | None = None
        self.cancel_requested = False

    # -- registry -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the registry and the datastore (cheap: two small JSON files)."""
        self._refresh_families()
        family = self.family
        try:
            self.entries = self.registry.list(family)
            self.previous_id = self.registry.previous_id(family)
            active = self.registry.active_id(family)
            self.active_entry = next((e for e in self.entries if e.model_id == active), None)
            self.active_bundle = read_bundle(self.registry.active_dir(family))
        except (LesionLensError, OSError) as exc:
            self.entries, self.active_entry, self.active_bundle = [], None, None
            self._emit("error", f"Model registry unavailable: {exc}")
        self._emit("models_changed")
        self.refresh_readiness()

    def _refresh_families(self) -> None:
        """The families on offer; the chosen one falls back to images if it went away."""
        store = self.review_store.store if self.review_store.exists else None
        try:
            families = offered_families(store, self.registry)
        except (LesionLensError, OSError):
            families = [IMAGE]
        if self.family not in families:
            if self.phase in RUNNING:
                families.append(self.family)  # the running job's family stays until it ends
            else:
                self.family = IMAGE
        if families != self.families:
            self.families = families
            self._emit("families_changed")

    def set_family(self, family: str) -> bool:
        """Fine-tune (and show, and roll back) the model of another family from now on."""
        if family == self.family:
            return True
        if self.phase in RUNNING:
            self._emit("error", "Wait for the fine-tuning job to end before choosing another model")
            return False
        if family not in self.families:
            self._emit("error", f"There is no {family} model to fine-tune here")
            return False
        self.family = family
        self._emit("families_changed")
        self.refresh()
        return True

    def metrics_of(self, entry: ModelEntry) -> dict[str, Any]:
        try:
            return read_bundle(entry.path).metrics
        except (LesionLensError, OSError):
            return {}

    # -- replay of the base model's own data ---------------------------------------------------

    def replay_text(self) -> str:
        """What a job from the active model would replay of its first domain, or why nothing
        (engine.jobs.describe_replay: the line `lesionlens finetune` prints)."""
        if self.active_bundle is None:
            return ""
        if self.family != IMAGE:  # the CT and study fine-tunes replay nothing (their recipes)
            return (
                f"replay: none — a {family_title(self.family)} trains on the stored cases "
                "alone; the gate's held-out check guards what it knew."
            )
        try:
            replay = bundle_replay(self.active_bundle, self.review_store.root)
        except (LesionLensError, OSError) as exc:
            return f"replay: unavailable ({exc})"
        return describe_replay(replay, self.active_bundle.spec.model_id, how="Replay data…")

    def replay_choice_needed(self) -> bool:
        """True when only the reader can say where the active model's training data lies: a
        model trained on real data, whose data is never shipped (breast-us on BUSI)."""
        if self.active_bundle is None or self.family != IMAGE:
            return False
        try:
            return own_replay(self.active_bundle) is None
        except LesionLensError:
            return True

    def replay_folder(self) -> Path | None:
        """The folder the reader named for the active model, if any."""
        if self.active_bundle is None:
            return None
        try:
            return ReplaySources(self.review_store.root).folder_for(
                self.active_bundle.spec.model_id
            )
        except LesionLensError:
            return None

    def set_replay_folder(self, folder: str | Path | None) -> bool:
        """Name (or with None, forget) the folder of the active model's training data; every
        later job from this model replays a sample of it."""
        if self.active_bundle is None:
            return False
        model_id = self.active_bundle.spec.model_id
        try:
            ReplaySources(self.review_store.root).set_folder(model_id, folder)
        except (LesionLensError, OSError) as exc:
            self._emit("error", f"Replay data not set: {exc}")
            return False
        self._emit("status", self.replay_text())
        self._emit("readiness_changed", self.readiness)
        return True

    @property
    def can_roll_back(self) -> bool:
        return self.previous_id is not None and self.phase not in RUNNING

    def activate(self, model_id: str) -> bool:
        return self._change_model(lambda: self.registry.activate(model_id), f"Activated {model_id}")

    def rollback(self) -> bool:
        family = self.family
        return self._change_model(lambda: self.registry.rollback(family), "Rolled back")

    def _change_model(self, change: Callable[[], ModelEntry], what: str) -> bool:
        if self.phase in RUNNING:
            self._emit("error", "Wait for the fine-tuning job to end before changing the model")
            return False
        try:
            entry = change()
        except (LesionLensError, OSError) as exc:
            self._emit("error", str(exc))
            return False
        self.refresh()
        self._emit("status", f"{what}: {entry.model_id} is the active {_family_word(entry)}")
        if entry.family == IMAGE:  # the volume and study pages ask the registry at each use
            self._emit("active_model_changed", entry.path)
        return True

    # -- the "can apply?" check ---------------------------------------------------------------

    def finetune_blocker(self) -> str | None:
        """Why "Fine-tune on corrected cases" cannot start now, or None when it can: the one
        check that enables the button."""
        if self.phase in RUNNING:
            return "a fine-tuning job is running"
        if self.active_bundle is None:
            return "the active model cannot be read (see the error bar)"
        if not (self.active_bundle.directory / "weights.pt").is_file():
            return (
                f"the active model {self.active_bundle.spec.model_id} has no weights.pt, so it "
                "cannot be fine-tuned (bundles written by training carry one)"
            )
        if not self.review_store.exists:
            return "no corrected cases yet: correct cases and save them (Ctrl+S)"
        try:
            return family_readiness(self.review_store.store, self.family)
        except (DatastoreError, OSError) as exc:
            return f"the datastore cannot be read: {exc}"

    def refresh_readiness(self) -> None:
        reason = self.finetune_blocker()
        counts = self._corrected_counts() if reason is None else (0, 0)
        if reason != self.readiness or counts != self.corrected_counts:
            self.readiness, self.corrected_counts = reason, counts
            self._emit("readiness_changed", reason)

    def readiness_text(self) -> str:
        """The line under the button: why it is disabled, or what it would train on."""
        if self.readiness is not None:
            return f"Not available: {self.readiness}."
        n_train, n_heldout = self.corrected_counts
        model = self.active_bundle.spec.model_id if self.active_bundle else "the active model"
        family = self.family
        text = (
            f"Ready: fine-tunes {model} on {n_train} corrected training "
            f"{case_noun(family, n_train)}; {n_heldout} held-out "
            f"{case_noun(family, n_heldout)} (never trained on) judge it."
        )
        if n_heldout < MIN_HELDOUT_CASES:
            more = MIN_HELDOUT_CASES - n_heldout
            text += (
                f" The gate promotes only on {MIN_HELDOUT_CASES} or more: review {more} more "
                f"held-out case{'s' if more != 1 else ''} (about 1 in 5 reviewed cases is "
                "held out); until then a candidate can be tried, not promoted."
            )
        return text

    def _corrected_counts(self) -> tuple[int, int]:
        try:
            return corrected_counts(self.review_store.store, self.family)
        except (DatastoreError, OSError):
            return (0, 0)

    # -- one job ------------------------------------------------------------------------------

    def prepare(self, epochs: int | None = None) -> Path | None:
        """Write the job's request (every corrected case of the chosen family pinned to its
        label time, its held-out cases for the gate, the family's active model as base).
        None, with the reason as an error, when it cannot start."""
        reason = self.finetune_blocker()
        if reason is not None:
            self._emit("error", f"Cannot fine-tune: {reason}")
            return None
        assert self.active_bundle is not None
        self.epochs = int(epochs or self.epochs)
        try:
            request = datastore_request(
                self.review_store.store, self.active_bundle.directory, epochs=self.epochs
            )
            request = request.with_overrides(self.request_overrides)
            path = prepare_job(request, self.review_store.root)
            self.request = FinetuneRequest.read(path)
        except (LesionLensError, OSError, ValueError) as exc:
            self._emit("error", f"Cannot fine-tune: {exc}")
            return None
        self.request_path = path
        self.verdict = None
        self._reset_progress()
        self.epochs_total = self.epochs
        self._set_phase(STARTING)
        return path

    def feed(self, line: str) -> dict[str, Any] | None:
        """One line of the child's stdout (the JSON-lines protocol of engine.jobs)."""
        line = line.strip()
        if not line:
            return None
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            event = {"event": "output", "text": line}
        self.on_event(event)
        return event

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            self.epochs_total = int(event.get("epochs") or self.epochs_total)
        elif kind == "epoch":
            self.epoch = int(event["epoch"])
            self.epochs_total = int(event.get("epochs") or self.epochs_total)
            self.eta_s = float(event["eta_s"]) if event.get("eta_s") is not None else None
            self.curve_epochs.append(self.epoch)
            self.losses.append(float(event["loss"]))
            dice = event.get("val_dice")  # none for a multi-view model that segments no view
            self.dices.append(float("nan") if dice is None else float(dice))
            if self.phase == STARTING:
                self._set_phase(TRAINING)
        elif kind == "error":
            self.child_error = str(event.get("message"))
        elif kind == "done":
            self.result = event
        self.last_text = describe_event(event) or self.last_text
        self._emit("progress", event)

    def cancel(self) -> None:
        """The user asked to stop; the runner kills the child and then calls finished()."""
        if self.phase in (STARTING, TRAINING):
            self.cancel_requested = True
            self._emit("status", "Cancelling fine-tuning…")

    def finished(self, exit_code: int, crashed: bool, stderr_tail: str = "") -> bool:
        """The child ended. True when its candidate should now go through the gate."""
        if self.phase not in (STARTING, TRAINING):
            return False
        assert self.request is not None
        if self.cancel_requested:
            finish_cancelled(self.request.job_dir, self.request.out)
            self._set_phase(CANCELLED)
            self._emit("status", "Fine-tuning cancelled; no candidate was kept")
            return False
        if exit_code == 0 and not crashed and self.result is not None:
            self._set_phase(GATING)
            return True
        if self.child_error:
            why = self.child_error
        elif crashed:
            why = "the process crashed" + (f": {stderr_tail}" if stderr_tail else "")
        elif exit_code == 0:
            why = "the process ended without reporting a candidate"
        else:
            why = f"exit status {exit_code}" + (f": {stderr_tail}" if stderr_tail else "")
        self._fail(f"Fine-tuning failed: {why}")
        return False

    def start_failed(self, message: str) -> None:
        """The child could not even start."""
        if self.phase in RUNNING:
            self._fail(f"Fine-tuning could not start: {message}")

    def run_gate(self) -> Verdict:
        """Score candidate and active model on the held-out cases and register the candidate
        (promoted or rejected). Slow: the runner calls it on a worker thread; emits nothing."""
        assert self.request is not None
        return promote_candidate(self.request, self.registry)

    def gate_finished(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self._set_phase(DONE)
        self.refresh()
        if verdict.promoted:
            word = "promoted"
        elif verdict.too_few_cases:
            word = (
                f"not promoted: {verdict.cases_needed} more reviewed held-out cases needed "
                "(it can be tried: select it and Activate)"
            )
        else:
            word = "rejected by the gate"
        self._emit("status", f"Fine-tuned model {verdict.candidate_id} {word}")
        if verdict.promoted and self.family == IMAGE:  # the family the job was started in
            self._emit("active_model_changed", self.registry.active_dir())

    def gate_failed(self, error: BaseException | str) -> None:
        self._fail(f"The gate could not judge the candidate: {error}")
        self.refresh()

    def _fail(self, message: str) -> None:
        self._set_phase(FAILED)
        self._emit("error", message)

    def _set_phase(self, phase: str) -> None:
        if phase != self.phase:
            self.phase = phase
            self._emit("job_changed", phase)
            self.refresh_readiness()

    def progress_text(self) -> str:
        """What the progress bar says."""
        if self.phase in (STARTING, TRAINING) and self.cancel_requested:
            return "Cancelling…"
        if self.phase == STARTING:
            return "Starting: reading the cases and the base model…"
        if self.phase == TRAINING:
            return f"Epoch {self.epoch}/{self.epochs_total} · ETA {duration_text(self.eta_s)}"
        if self.phase == GATING:
            return "Gate: scoring both models on the held-out cases…"
        if self.phase == DONE:
            return f"Done: {self.epoch}/{self.epochs_total} epochs"
        if self.phase == CANCELLED:
            return f"Cancelled after {self.epoch} epoch{'s' if self.epoch != 1 else ''}"
        if self.phase == FAILED:
            return "Failed (see the error bar)"
        return "No fine-tuning job yet"


def _family_word(entry: ModelEntry) -> str:
    """ "model" for the image family (as the status line always said), else which one."""
    return "model" if entry.family == IMAGE else family_title(entry.family)
