"""The open multi-view study as plain Python: its views, the case's analysis, how the views
are shown (linked or not, posterior mirrored, attention maps, contours), and the events the
study widgets subscribe to. Qt-free, like desktop.models.image.state for single images.

The finding belongs to the case: one StudyAnalysis per study (one class from all views),
with per-view attention maps and, on the views the model segments, lesion outlines.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from desktop.models.events import Events
from desktop.models.image.window_level import WindowLevel
from desktop.models.study.cases import open_study
from desktop.models.study.corrections import StudyCorrections
from desktop.models.study.geometry import LinkDecision, link_decision, shown_mirrored
from desktop.models.study.stored import StoredStudy
from desktop.models.study.view_window import default_view_window, grey_views, view_presets
from engine.bundle import Bundle, ModelSpec
from engine.case_kind import STUDY
from engine.errors import LesionLensError, LoadError
from engine.inference import cached_model
from engine.model_lookup import default_bundle
from engine.types import Study, StudyAnalysis, WindowPreset

EVENTS = (
    "study_changed",  # another study is open (Study); its analysis is cleared
    "analysis_changed",  # the case's analysis arrived or was cleared (StudyAnalysis | None)
    "display_changed",  # maps / contours visibility, map opacity, posterior mirroring
    "link_changed",  # linked zoom and pan switched on or off (bool)
    "busy_changed",  # an analysis started or ended (bool)
    "confirmed_changed",  # the reader confirmed or changed the case's class (str | None)
    "window_changed",  # a grey view's window/level changed (view name)
    "corrections_changed",  # a view's mask was edited, undone or redone (view name)
    "saved_changed",  # the study was saved, or its stored confirmation restored (StoredStudy)
    "status",  # a short message for the status bar (str)
    "error",  # last_error changed (str | None)
)
DEFAULT_MAP_OPACITY = 0.6


class NoModelForViews(LesionLensError):
    """No shipped model takes exactly these views."""


@dataclass(frozen=True)
class StudyRequest:
    """One analysis job; the generation drops a result for a study the user has left."""

    generation: int
    study: Study
    bundle: Bundle


@dataclass(frozen=True)
class StudyResult:
    analysis: StudyAnalysis
    spec: ModelSpec  # for the report's model block


def study_analysis_steps(request: StudyRequest) -> Generator[str, None, StudyResult]:
    """Load the study's model (cached per process) and analyse the case on the worker."""
    from engine.study.analysis import analyze_study

    spec = request.bundle.spec
    yield f"Loading {spec.model_id}…"
    model = cached_model(request.bundle.directory)
    yield f"Analysing {request.study.case_id} with {spec.model_id}…"
    return StudyResult(analyze_study(request.study, model), model.spec)


def registry_bundle_finder(home: str | Path | None) -> Callable[[list[str]], Bundle | None]:
    """StudyState.find_bundle over the registry in `home` (engine.model_lookup.default_bundle,
    what `lesionlens analyze` runs for a study): None when no model, shipped or promoted,
    takes these views, or when the registry cannot be read (then no model is offered rather
    than a study that cannot open)."""

    def find(views: list[str]) -> Bundle | None:
        try:
            return default_bundle(STUDY, views, home)
        except (LesionLensError, OSError):
            return None

    return find


class StudyState:
    def __init__(
        self,
        find_bundle: Callable[[list[str]], Bundle | None] | None = None,
        find_stored: Callable[[Study], StoredStudy | None] | None = None,
    ):
        self.study: Study | None = None
        self.path: Path | None = None
        self.bundle: Bundle | None = None  # the shipped model for these views, if any
        self.analysis: StudyAnalysis | None = None  # with the reader's corrected findings
        self.spec: ModelSpec | None = None  # the model that made `analysis`
        # The reader's masks on the views (Smart Click), from the moment an analysis is shown.
        self.corrections: StudyCorrections | None = None
        self.link = LinkDecision(False, "no study open")
        self.link_wanted = True  # the user's toggle; applies only when the geometry allows
        self.mirror_posterior = True
        self.maps_visible = True
        self.map_opacity = DEFAULT_MAP_OPACITY
        self.contours_visible = True
        self.busy = False
        self.confirmed_label: str | None = None  # the reader's class for the case (None: AI's)
        # The reader's confirmation in the datastore (desktop.models.study.stored), looked up
        # when a study opens and restored when its analysis arrives; the window sets the
        # lookup to its datastore's (none: nothing is ever restored).
        self.find_stored = find_stored
        self.stored: StoredStudy | None = None
        self._saved_label: str | None = None  # confirmed_label as last saved or restored
        self.last_error: str | None = None
        self.windows: dict[str, WindowLevel] = {}  # grey views only; colour is as acquired
        self._presets: dict[str, tuple[WindowPreset, ...]] = {}
        self._defaults: dict[str, WindowLevel] = {}
        # Which model analyses a study: the registry's active model of the family of exactly
        # its views (the shipped bundle for them until a fine-tune is promoted).
        self.find_bundle = find_bundle or registry_bundle_finder(None)
        self._generation = 0
        self.events = Events(EVENTS)

    def subscribe(self, event: str, callback: Callable[..., None]) -> Callable[[], None]:
        return self.events.subscribe(event, callback)

    # -- study ----------------------------------------------------------------------------

    def open(self, path: str | Path) -> bool:
        """Load and show a study; on failure keep what is on screen and say why."""
        try:
            study = open_study(path)
        except LoadError as exc:
            self.report_error(f"Cannot open {exc.path.name}: {exc.reason}")
            return False
        self.show_study(study, Path(path))
        return True

    def show_study(self, study: Study, path: Path | None = None) -> None:
        self._generation += 1
        self.study, self.path = study, path
        self.bundle = self.find_bundle(list(study.views))
        self.link = link_decision(study.views)
        self.analysis, self.spec, self.corrections = None, None, None
        self.confirmed_label = self._saved_label = None
        self._presets = {n: view_presets(study.views[n]) for n in grey_views(study.views)}  # type: ignore[arg-type]
        # Computed once: the defaults take percentiles, and window_name asks on every drag step.
        self._defaults = {
            n: w
            for n in self._presets
            if (w := default_view_window(study.views[n])) is not None  # type: ignore[arg-type]
        }
        self.windows = dict(self._defaults)
        self._set_busy(False)
        self.dismiss_error()
        self.stored = self._look_up_stored(study)
        self.events.emit("study_changed", study)
        self.events.emit("analysis_changed", None)
        self.events.emit("link_changed", self.linked)

    @property
    def view_names(self) -> list[str]:
        return list(self.study.views) if self.study is not None else []

    # -- analysis -------------------------------------------------------------------------

    @property
    def can_analyze(self) -> bool:
        return (
            self.study is not None
            and self.bundle is not None
            and self.analysis is None
            and not self.busy
        )

    def why_not_analysed(self) -> str:
        """The panel's note while there is no analysis."""
        if self.study is None:
            return "No study open."
        if self.busy:
            return "Analysing the case…"
        if self.bundle is None:
            views = ", ".join(self.view_names)
            return (
                f"No shipped model takes the views {views}: the study is shown without AI "
                "(two-view scintigraphy takes anterior + posterior; the skin fusion model "
                "takes photo + us)."
            )
        return "Not analysed yet."

    def start_analysis(self) -> StudyRequest:
        if self.study is None:
            raise RuntimeError("start_analysis needs an open study")
        if self.bundle is None:
            raise NoModelForViews(self.why_not_analysed())
        self._set_busy(True)
        return StudyRequest(self._generation, self.study, self.bundle)

    def is_current(self, request: StudyRequest) -> bool:
        return request.generation == self._generation

    def finish_analysis(self, request: StudyRequest, result: StudyResult) -> bool:
        """Show the result if it belongs to the study on screen; False when stale."""
        if not self.is_current(request):
            return False
        if result.analysis.study is not self.study:
            raise ValueError("the analysis belongs to another study")
        self._set_busy(False)
        self.analysis, self.spec = result.analysis, result.spec
        self._start_corrections()
        self.events.emit("analysis_changed", self.analysis)
        return True

    def show_analysis(self, analysis: StudyAnalysis, spec: ModelSpec | None = None) -> None:
        """Show an analysis made elsewhere (a batch, a test, a screenshot) for the open study;
        a running analysis of it is dropped."""
        if analysis.study is not self.study:
            raise ValueError("the analysis belongs to another study")
        self._generation += 1
        self._set_busy(False)
        self.analysis, self.spec = analysis, spec
        self._start_corrections()
        self.events.emit("analysis_changed", analysis)

    # -- the reader's corrections -----------------------------------------------------------

    def _start_corrections(self) -> None:
        """Editors from the model's masks, or from the stored confirmation of a study saved
        before (its class and masks shown, nothing unsaved)."""
        assert self.analysis is not None
        spec, stored = self.spec, self.stored
        self.corrections = StudyCorrections(
            self.analysis,
            self._on_corrected,
            min_area_px=spec.min_lesion_area_px if spec is not None else 20,
            confidence_threshold=spec.confidence_threshold if spec is not None else 0.7,
            stored=stored.masks if stored is not None else None,
        )
        if stored is not None and stored.label in self.classes:
            self.analysis = self.corrections.corrected_analysis()
            self.confirmed_label = self._saved_label = stored.label
            self.events.emit("confirmed_changed", stored.label)

    def _look_up_stored(self, study: Study) -> StoredStudy | None:
        if self.find_stored is None:
            return None
        try:
            return self.find_stored(study)
        except (LesionLensError, OSError) as exc:  # shown without it, and said why
            self.report_error(f"Stored confirmation not read: {exc}")
            return None

    @property
    def modified(self) -> bool:
        """Changes since the study was opened, restored or last saved (what leaving loses)."""
        if self.corrections is None:
            return False
        return self.corrections.modified or self.confirmed_label != self._saved_label

    def mark_saved(self, stored: StoredStudy) -> None:
        """What is shown is what the datastore holds now."""
        self.stored = stored
        self._saved_label = self.confirmed_label
        if self.corrections is not None:
            self.corrections.mark_saved()
        self.events.emit("saved_changed", stored)

    def _on_corrected(self, view: str) -> None:
        """A view's mask changed: its findings (outline, panel, export) follow."""
        if self.corrections is None:
            return
        self.analysis = self.corrections.corrected_analysis()
        self.events.emit("analysis_changed", self.analysis)
        self.events.emit("corrections_changed", view)

    def undo(self) -> bool:
        return self.corrections is not None and not self.busy and self.corrections.undo()

    def redo(self) -> bool:
        return self.corrections is not None and not self.busy and self.corrections.redo()

    def confirm_label(self, label: str | None) -> None:
        """The reader's class for the case (one of the model's classes), or None to leave
        the AI's class standing. Goes into the exported report, JSON and CSV."""
        if label is not None and (self.analysis is None or label not in self.classes):
            raise ValueError(f"{label!r} is not one of the model's classes {self.classes}")
        if label != self.confirmed_label:
            self.confirmed_label = label
            self.events.emit("confirmed_changed", label)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.analysis.prediction.probabilities) if self.analysis else ()

    def fail_analysis(self, request: StudyRequest, error: BaseException) -> None:
        if not self.is_current(request):
            return
        self._set_busy(False)
        self.report_error(f"Analysis failed: {error}")

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.events.emit("busy_changed", busy)

    # -- display --------------------------------------------------------------------------

    @property
    def linked(self) -> bool:
        """Zoom and pan follow from one view to the other right now."""
        return self.link.linkable and self.link_wanted

    def set_link_wanted(self, wanted: bool) -> None:
        if wanted != self.link_wanted:
            self.link_wanted = bool(wanted)
            self.events.emit("link_changed", self.linked)

    def is_mirrored(self, view: str) -> bool:
        return shown_mirrored(view, self.mirror_posterior)

    def set_mirror_posterior(self, mirror: bool) -> None:
        self._set_display("mirror_posterior", bool(mirror))

    def set_maps_visible(self, visible: bool) -> None:
        self._set_display("maps_visible", bool(visible))

    def set_contours_visible(self, visible: bool) -> None:
        self._set_display("contours_visible", bool(visible))

    def set_map_opacity(self, opacity: float) -> None:
        self._set_display("map_opacity", min(1.0, max(0.0, float(opacity))))

    def _set_display(self, name: str, value: object) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.events.emit("display_changed")

    # -- window/level (grey views) --------------------------------------------------------

    def window(self, view: str) -> WindowLevel | None:
        """The view's window; None for a colour view (shown as acquired) or no such view."""
        return self.windows.get(view)

    def presets(self, view: str) -> tuple[WindowPreset, ...]:
        return self._presets.get(view, ())

    def preset_names(self) -> list[str]:
        """The presets the keys 1-9 choose on this page: the first grey view's, by name (each
        view applies its own preset of that name, from its own values)."""
        names: list[str] = []
        for presets in self._presets.values():
            names += [p.name for p in presets if p.name not in names]
        return names

    def set_window(self, view: str, window: WindowLevel) -> None:
        if view in self.windows and window != self.windows[view]:
            self.windows[view] = window
            self.events.emit("window_changed", view)

    def drag_window(self, view: str, dx: float, dy: float) -> None:
        """Right-drag on a view: its own window (the other view keeps its own)."""
        window = self.windows.get(view)
        if window is not None:
            self.set_window(view, window.dragged(dx, dy))

    def reset_windows(self) -> None:
        """View ▸ Default Window/Level: every grey view back to the window it opened with."""
        for view, window in self._defaults.items():
            self.set_window(view, window)

    def apply_preset(self, name: str) -> bool:
        """A preset by name on every grey view that has it (keys 1-9, View ▸ Window Presets)."""
        applied = False
        for view, presets in self._presets.items():
            for preset in presets:
                if preset.name == name:
                    self.set_window(view, WindowLevel.from_preset(preset))
                    applied = True
        return applied

    def window_name(self, view: str) -> str:
        """ "Default", a preset's name, or "Custom" (after a right-drag): what the view says."""
        window = self.windows.get(view)
        if window is None:
            return ""
        if window == self._defaults.get(view):
            return "Default"
        for preset in self.presets(view):
            if window == WindowLevel.from_preset(preset):
                return preset.name
        return "Custom"

    # -- messages -------------------------------------------------------------------------

    def report_error(self, message: str) -> None:
        self.last_error = message
        self.events.emit("error", message)

    def dismiss_error(self) -> None:
        if self.last_error is not None:
            self.last_error = None
            self.events.emit("error", None)

    def notify(self, message: str) -> None:
        self.events.emit("status", message)
