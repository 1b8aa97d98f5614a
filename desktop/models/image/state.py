"""The open case as plain Python: what is on screen, and the events widgets subscribe to.

Qt-free on purpose (napari's components/ layer): tests drive it without a display, and the
widgets only render it and forward input. Every change goes through a method that emits
named events, so a widget never has to poll.

A case is one opened path (desktop.models.image.series): an image, a cine or a volume, one frame on
screen at a time. The analysis belongs to the frame on screen; correcting it goes through
a MaskEditor (undo/redo), and each completed edit recomputes the findings from the edited
mask, so the table and the drawn axes always describe what the clinician sees.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.models.editing.caliper import (
    Caliper,
    CaseMeasurements,
    Point,
    measure_caliper,
    segment_distance,
)
from desktop.models.editing.mask_editor import MaskEditor
from desktop.models.editing.mask_ops import Box
from desktop.models.editing.measuring import ShapeMeasuring
from desktop.models.events import Events
from desktop.models.image.domain import DomainMismatch, domain_mismatch
from desktop.models.image.lesion_ids import carry_ids
from desktop.models.image.lesion_selection import point_inside
from desktop.models.image.series import VOLUME, CaseSeries
from desktop.models.image.window_level import WindowLevel, default_window, window_presets
from desktop.models.opening import open_series
from desktop.models.reading.review import ReviewToSave, SavedReview
from engine.analysis import analyze, findings_from
from engine.descriptors import confirm, override, template_for
from engine.errors import BundleError, LesionLensError, LoadError, MeasurementError
from engine.inference import LoadedModel
from engine.io import calibrate_by_distance
from engine.types import (
    Analysis,
    Finding,
    Image,
    LineMeasurement,
    Prediction,
    WindowPreset,
)

EVENTS = (
    "image_changed",  # a new case is open (its analysis is cleared)
    "frame_changed",  # another frame or slice of the same case is on screen (index)
    "analysis_changed",  # the model's analysis of the frame arrived (or was cleared)
    "findings_changed",  # findings recomputed after an edit or a calibration (Analysis)
    "mask_edited",  # pixels of the corrected mask changed inside a box (Box)
    "review_changed",  # undo/redo availability, confirmed class, unsaved flag
    "model_changed",  # a model was loaded
    "domain_changed",  # the user asked for the model on an image it was not made for
    "busy_changed",  # an analysis started or ended
    "display_changed",  # overlay opacity, contour or uncertainty visibility
    "window_changed",  # window/level (WindowLevel)
    "calipers_changed",  # a caliper was added, moved, selected, deleted or cleared
    "lesion_selected",  # the reader selected a lesion (its findings row) or none (int | None)
    "calibration_changed",  # the image got the user's calibration (Image)
    "status",  # a short message for the status bar (str)
    "error",  # last_error changed (None when it was dismissed)
)

# Events after which the findings are other objects: a selected lesion index is dropped.
LESIONS_REPLACED = frozenset(
    {"image_changed", "frame_changed", "analysis_changed", "findings_changed"}
)
DEFAULT_OPACITY = 0.35
DEFAULT_MIN_AREA_PX = 20
DEFAULT_CONFIDENCE = 0.7


@dataclass(frozen=True)
class Draft:
    """Unsaved corrections of a case the clinician moved away from: kept in memory only,
    never in the datastore (so never trained on) until they are saved explicitly."""

    frame_index: int
    mask: np.ndarray
    label: str | None
    descriptor_choices: DescriptorChoices = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisRequest:
    """One analysis job. The generation ties the result to the frame it was started for, so a
    slow result for a frame the user has already left is dropped, never shown."""

    generation: int
    image: Image
    model: LoadedModel
    force: bool = False  # the reader ran the model although the image is out of its scope


# lesion number -> descriptor name (or "category") -> {"value": term} or {"confirmed": True}
DescriptorChoices = dict[int, dict[str, dict]]


def copy_choices(choices: DescriptorChoices) -> DescriptorChoices:
    return {int(k): {n: dict(c) for n, c in v.items()} for k, v in choices.items()}


def apply_choices(findings: tuple[Finding, ...], choices: DescriptorChoices) -> tuple[Finding, ...]:
    """The findings with the reader's descriptor decisions applied, in the order they were
    made, to the AI's fresh proposals (engine.descriptors override/confirm). A choice for a
    lesion or descriptor that is no longer there is skipped, never an error."""
    out = []
    for number, finding in enumerate(findings, start=1):
        d = finding.descriptors
        for name, choice in choices.get(number, {}).items() if d is not None else ():
            if name != "category" and name not in d.names:
                continue
            if choice.get("confirmed"):
                d = confirm(d, [name])
            else:
                d = override(d, name, choice.get("value"))
        out.append(
            finding if d is finding.descriptors else dataclasses.replace(finding, descriptors=d)
        )
    return tuple(out)


def analysis_steps(request: AnalysisRequest) -> Generator[str, None, Analysis]:
    """The analysis as a generator (superqt's thread_worker idea): it yields progress text and
    can be cancelled between steps; the worker thread runs it, tests can run it directly."""
    yield f"Analysing with {request.model.spec.model_id}…"
    return analyze(request.image, request.model, force=request.force)


def describe_error(error: BaseException) -> str:
    """One line a clinician can act on; the reader's typed errors already name file and reason."""
    if isinstance(error, LoadError):
        return f"Cannot open {error.path.name}: {error.reason}"
    if isinstance(error, BundleError):
        return f"Model unavailable: {error}"
    if isinstance(error, LesionLensError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename}" if error.filename else "")
    return f"Unexpected error: {type(error).__name__}: {error}"


class CaseState(ShapeMeasuring):
    """The case on screen, its analysis and correction, the display settings, the last error;
    the reader's calipers here, their ellipses, traces and angles in ShapeMeasuring."""

    def __init__(self, model: LoadedModel | None = None) -> None:
        self.series: CaseSeries | None = None
        self.frame_index = 0
        self.image: Image | None = None
        self.path: Path | None = None
        self.ai_analysis: Analysis | None = None  # the model's output, never edited
        self.analysis: Analysis | None = None  # what is shown: the AI's, or after corrections
        self.editor: MaskEditor | None = None
        self.saved: SavedReview | None = None  # the stored review of this frame, if any
        self.model: LoadedModel | None = model
        self.overlay_opacity: float = DEFAULT_OPACITY
        self.contours_visible: bool = True
        self.uncertainty_visible: bool = False
        self.window: WindowLevel | None = None
        self.calipers: list[Caliper] = []
        # The reader's descriptor decisions per lesion number (1-based, as in the table), kept
        # apart from the findings so they survive every re-derivation (edit, calibration).
        self.descriptor_choices: DescriptorChoices = {}
        self._descriptors_dirty = False
        self.selected_caliper: int | None = None  # Del deletes it; drawn highlighted
        self._init_measuring()
        self.selected_lesion: int | None = None  # index into analysis.findings; Del deletes it
        self.last_error: str | None = None
        self.busy: bool = False
        self.domain_override = False  # "Run model anyway" on an image it was not made for
        self._generation = 0
        # Whether the canvas has drawn the mask of this analysis while visible: a case whose
        # mask was never on screen cannot be saved as reviewed (issue 20).
        self.mask_displayed = False
        # The number of each finding on screen (canvas labels, findings table): kept across
        # edits, so deleting lesion 1 leaves lesion 2 as 2 (desktop.models.image.lesion_ids).
        self.lesion_ids: tuple[int, ...] = ()
        self._next_lesion_id = 1
        self.drafts: dict[Path, Draft] = {}  # unsaved corrections of cases not on screen
        self.events = Events(EVENTS)
        self._editor_unsubscribe: list[Callable[[], None]] = []

    # -- events -------------------------------------------------------------------------------

    def subscribe(self, event: str, callback: Callable[..., None]) -> Callable[[], None]:
        """Call `callback(*args)` on `event`; returns the function that unsubscribes it."""
        return self.events.subscribe(event, callback)

    def _emit(self, event: str, *args: object) -> None:
        if event in LESIONS_REPLACED and self.selected_lesion is not None:
            self.selected_lesion = None  # its index may now be another lesion
            self.events.emit("lesion_selected", None)
        self.events.emit(event, *args)

    # -- case ---------------------------------------------------------------------------------

    def open(self, path: str | Path) -> bool:
        """Read a file (image, cine, volume: desktop.models.opening.open_series, which reads a
        volume as the CLI does) and make it the open case. On failure record the
        error and keep the previous case, so nothing half-loaded ever reaches the screen."""
        try:
            series = open_series(path)
            index = series.default_index
            image = series.frame(index)
        except LoadError as exc:
            self.report_error(exc)
            return False
        self._show_case(series, index, image, Path(path), None)
        return True

    def show_image(
        self, image: Image, path: Path | None = None, analysis: Analysis | None = None
    ) -> None:
        """Replace the open case by one image. The old analysis no longer applies: it is
        replaced by `analysis` (a case reopened with its saved result) or cleared."""
        if analysis is not None and analysis.image is not image:
            raise ValueError("the analysis belongs to another image")
        self._show_case(CaseSeries(image), 0, image, path, analysis)

    def _show_case(
        self,
        series: CaseSeries,
        index: int,
        image: Image,
        path: Path | None,
        analysis: Analysis | None,
    ) -> None:
        self._generation += 1
        self.series, self.frame_index, self.image, self.path = series, index, image, path
        self.window = default_window(image)
        self.calipers, self.selected_caliper = [], None
        self._reset_measuring()
        self.domain_override = False
        self._set_busy(False)
        self.dismiss_error()
        self._set_analysis(analysis, None)
        self._emit("image_changed", image)
        self._emit("window_changed", self.window)
        self._emit("calipers_changed")
        # The state now, not `analysis`: an image_changed subscriber may already have attached
        # a result (a batch result is shown synchronously), and a stale None would wipe it off
        # the canvas while the findings table kept showing it.
        self._emit("analysis_changed", self.analysis)
        self._emit("review_changed")

    def show_frame(self, index: int) -> bool:
        """Another frame of a cine or slice of a volume. Its analysis starts afresh (the
        caller guards unsaved corrections first); window/level and zoom stay."""
        series = self.series
        if series is None or index == self.frame_index or not 0 <= index < series.count:
            return False
        try:
            image = series.frame(index)
        except LoadError as exc:
            self.report_error(exc)
            return False
        self._generation += 1
        self.frame_index, self.image = index, image
        self.calipers, self.selected_caliper = [], None
        self._reset_measuring()
        self._set_busy(False)
        self._set_analysis(None, None)
        self._emit("frame_changed", index)
        self._emit("calipers_changed")
        self._emit("analysis_changed", self.analysis)  # as in _show_case: never a stale None
        self._emit("review_changed")
        return True

    def set_model(self, model: LoadedModel) -> None:
        """Another model (activated, rolled back, promoted, or another operating point). An
        analysis by an older model, on screen or running, is dropped so the new one
        re-analyses; unsaved corrections stay."""
        self.model = model
        ai = self.ai_analysis
        stale = ai is not None and (
            ai.prediction.model_id != model.spec.model_id
            or ai.prediction.operating_point != model.spec.operating_point
        )
        if (stale and not self.modified) or self.busy:  # a running analysis is dropped too
            self._generation += 1
            self._set_busy(False)
            self._set_analysis(None, None)
            self._emit("analysis_changed", None)
            self._emit("review_changed")
        self._emit("model_changed", model)

    # -- analysis -----------------------------------------------------------------------------

    @property
    def can_analyze(self) -> bool:
        """True when an image and a model are present, the image has no analysis yet, and the
        model was made for this kind of image (or the user asked for it anyway)."""
        return (
            self.image is not None
            and self.model is not None
            and self.analysis is None
            and not self.busy
            and self.withheld is None
        )

    @property
    def domain_mismatch(self) -> DomainMismatch | None:
        """The model was not made for the image on screen (a CT slice for an ultrasound model)."""
        volume = self.series is not None and self.series.kind == VOLUME
        return domain_mismatch(self.model, self.image, volume)

    @property
    def withheld(self) -> DomainMismatch | None:
        """Why the image is shown without AI: out of the model's domain and not overridden."""
        return None if self.domain_override else self.domain_mismatch

    @property
    def can_run_anyway(self) -> bool:
        """Whether Run Model Anyway has something to override: an image the model was not
        made for (its modality), or one whose findings were withheld as out of scope."""
        if self.domain_override:
            return False
        withheld = self.ai_analysis is not None and self.ai_analysis.withheld
        return self.domain_mismatch is not None or withheld

    def run_model_anyway(self) -> bool:
        """A researcher's override for this case (all its slices): analyse despite the domain
        or the scope; the result is marked as run on demand. False when there was nothing to
        override."""
        if not self.can_run_anyway:
            return False
        self.domain_override = True
        if self.ai_analysis is not None and self.ai_analysis.withheld and not self.modified:
            self._generation += 1
            self._set_analysis(None, None)
            self._emit("analysis_changed", None)
        self._emit("domain_changed")
        return True

    def start_analysis(self) -> AnalysisRequest:
        if self.image is None or self.model is None:
            raise RuntimeError("start_analysis needs an open image and a model")
        self._set_busy(True)
        return AnalysisRequest(self._generation, self.image, self.model, self.domain_override)

    def is_current(self, request: AnalysisRequest) -> bool:
        """Whether a request still belongs to the frame on screen."""
        return request.generation == self._generation

    def finish_analysis(
        self, request: AnalysisRequest, analysis: Analysis, saved: SavedReview | None = None
    ) -> bool:
        """Show the result if it still belongs to the frame on screen; False when stale.
        `saved`: a stored correction of this case, shown instead of the AI mask."""
        if request.generation != self._generation:
            return False
        if analysis.image is not self.image:  # calibrated while the model ran
            analysis = self._on_image(analysis, self.image)
        self._set_busy(False)
        self._set_analysis(analysis, saved)
        self._emit("analysis_changed", self.analysis)
        self._emit("review_changed")
        return True

    def fail_analysis(self, request: AnalysisRequest, error: BaseException) -> None:
        """The image stays on screen without an overlay; the error says why. A failure for an
        image that is no longer open is dropped like a stale result."""
        if request.generation != self._generation:
            return
        self._set_busy(False)
        self.report_error(error)

    def _set_analysis(self, analysis: Analysis | None, saved: SavedReview | None) -> None:
        for unsubscribe in self._editor_unsubscribe:
            unsubscribe()
        self._editor_unsubscribe = []
        self.ai_analysis = self.analysis = analysis
        self.editor, self.saved = None, None
        self.descriptor_choices, self._descriptors_dirty = {}, False
        self.mask_displayed = False
        self.lesion_ids, self._next_lesion_id = (), 1
        if analysis is None:
            return
        prediction = analysis.prediction
        classes = self.model.spec.classes if self.model is not None else ()
        classes = tuple(classes) or tuple(prediction.probabilities)
        mask = None
        if saved is not None and saved.mask.shape == prediction.mask.shape:
            mask, self.saved = saved.mask, saved
        label = saved.label if self.saved is not None else prediction.label
        if self.saved is not None:
            self.descriptor_choices = copy_choices(self.saved.descriptor_choices)
        self.editor = MaskEditor(prediction.mask, label, classes, mask=mask)
        draft = self.drafts.get(self.path) if self.path is not None else None
        if (
            draft is not None
            and draft.frame_index == self.frame_index
            and draft.mask.shape == prediction.mask.shape
        ):
            self.drop_draft()  # in the editor again; leaving the case keeps it again
            self.editor.restore_draft(draft.mask, draft.label)
            if draft.descriptor_choices:
                self.descriptor_choices = copy_choices(draft.descriptor_choices)
                self._descriptors_dirty = True
        if self.saved is not None or self.editor.modified or self.descriptor_choices:
            self.analysis = self._corrected_analysis()
        self._number_lesions()
        self._editor_unsubscribe = [
            self.editor.subscribe("mask_edited", self._on_mask_edited),
            self.editor.subscribe("changed", self._on_editor_changed),
        ]

    # -- drafts -------------------------------------------------------------------------------

    def keep_draft(self) -> bool:
        """Leaving a case with unsaved corrections: keep them as a draft of that case (memory
        only; nothing goes to the datastore). Restored when the case is analysed again."""
        if not self.modified or self.path is None:
            return False
        assert self.editor is not None
        self.editor.end_stroke()
        self.drafts[self.path] = Draft(
            self.frame_index,
            self.editor.mask.copy(),
            self.editor.label,
            copy_choices(self.descriptor_choices) if self._descriptors_dirty else {},
        )
        return True

    def has_draft(self, path: str | Path) -> bool:
        path = Path(path)
        return path in self.drafts or (path == self.path and self.modified)

    def drop_draft(self, path: str | Path | None = None) -> None:
        """Forget the draft of `path` (default: the case on screen): saved or discarded."""
        target = Path(path) if path is not None else self.path
        if target is not None:
            self.drafts.pop(target, None)

    # -- correction ---------------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        """Unsaved corrections (what closing or moving on would lose): mask, class, or the
        reader's descriptor choices."""
        return self.editor is not None and (self.editor.modified or self._descriptors_dirty)

    @property
    def shown_mask(self) -> np.ndarray | None:
        """The mask the canvas draws: the one being corrected (live during a stroke)."""
        if self.editor is not None:
            return self.editor.mask
        return self.analysis.prediction.mask if self.analysis is not None else None

    def review_to_save(self, author: str = "") -> ReviewToSave | None:
        """A snapshot of the correction and confirmed class, or None without an analysis."""
        if self.editor is None or self.ai_analysis is None or self.path is None:
            return None
        self.editor.end_stroke()
        return ReviewToSave(
            path=self.path,
            kind=self.series.kind if self.series is not None else "image",
            frame_index=self.frame_index,
            ai_prediction=self.ai_analysis.prediction,
            mask=self.editor.mask.copy(),
            label=str(self.editor.label),
            author=author,
            descriptor_choices=copy_choices(self.descriptor_choices),
            measurements=self.measurements(),
            assisted_by=tuple(sorted(self.editor.assisted_by)),
        )

    def set_mask_displayed(self, displayed: bool) -> None:
        """The canvas reports the mask on screen (True: drawn while visible, with the overlay
        or the contours showing) or wiped off it (False). Hiding the overlay after the mask
        was seen does not unsee it; a new analysis starts unseen."""
        self.mask_displayed = bool(displayed) and self.analysis is not None

    @property
    def unseen_reason(self) -> str | None:
        """Why the case on screen may not be saved as reviewed yet: its mask was never shown."""
        if self.analysis is None or self.mask_displayed:
            return None
        return (
            "its mask was never on screen. Show it (View ▸ Show Contours, C, or more overlay "
            "opacity, }) and check it before saving the case as reviewed"
        )

    def mark_saved(self, saved: SavedReview) -> None:
        """The datastore now holds what is on screen."""
        self.saved = saved
        self.drop_draft()
        self._descriptors_dirty = False
        if self.editor is not None:
            self.editor.mark_saved()  # emits changed("saved") -> review_changed

    def _on_mask_edited(self, box: Box) -> None:
        self._emit("mask_edited", box)

    def _number_lesions(self, previous: Analysis | None = None) -> None:
        """Number the findings on screen: 1..n for a fresh analysis, else carried over from
        `previous` by overlap (a new lesion gets the next number never used)."""
        findings = self.analysis.findings if self.analysis is not None else ()
        if previous is None or len(self.lesion_ids) != len(previous.findings):
            self.lesion_ids = tuple(range(1, len(findings) + 1))
            self._next_lesion_id = len(findings) + 1
            return
        shape = self.analysis.prediction.mask.shape
        self.lesion_ids, self._next_lesion_id = carry_ids(
            previous.findings, self.lesion_ids, findings, shape, self._next_lesion_id
        )

    def lesion_number(self, index: int) -> int:
        """The number shown for finding `index` of the analysis on screen."""
        return self.lesion_ids[index] if index < len(self.lesion_ids) else index + 1

    def _on_editor_changed(self, kind: str) -> None:
        if kind in ("mask", "label"):  # the class is the reader's once set: exports carry it
            previous = self.analysis
            self.analysis = self._corrected_analysis()
            self._number_lesions(previous)
            self._emit("findings_changed", self.analysis)
        self._emit("review_changed")

    def _corrected_analysis(self) -> Analysis:
        """Findings recomputed from the edited mask. Measurements follow the mask exactly; the
        prediction stays the model's (it has no mask input to re-run), but each finding carries
        the reader's class where the reader chose another one (label_source "reader"), and a
        lesion with no pixel in the AI's mask is marked drawn by the reader (no AI probability).
        """
        assert self.ai_analysis is not None and self.editor is not None
        ai = self.ai_analysis
        prediction = dataclasses.replace(ai.prediction, mask=self.editor.mask.copy())
        corrected = self.editor.differs_from_ai
        findings = self._findings(
            ai.image, prediction, corrected, self.editor.label, ai.prediction.mask
        )
        findings = apply_choices(findings, self.descriptor_choices)
        return Analysis(ai.image, prediction, findings, ai.scope)

    # -- descriptors (the reader's decisions on the AI's proposals) ---------------------------

    def set_descriptor(self, lesion: int, name: str, value: str | None) -> bool:
        """The reader chose `value` for descriptor `name` ("category" for the category) of
        lesion number `lesion` (1-based). False when that lesion has no descriptors."""
        return self._choose(lesion, name, {"value": value})

    def confirm_descriptors(self, lesion: int, names: tuple[str, ...] | None = None) -> bool:
        """The reader accepts the AI's proposals of lesion `lesion` as they stand (all of
        them and the category, or only `names`); a value the reader chose stays chosen."""
        finding = self._described(lesion)
        if finding is None:
            return False
        assert finding.descriptors is not None
        chosen = self.descriptor_choices.get(lesion, {})
        every = (*finding.descriptors.names, "category") if names is None else names
        todo = tuple(n for n in every if n not in chosen)
        changed = False
        for name in todo:
            changed = self._choose(lesion, name, {"confirmed": True}, announce=False) or changed
        self._descriptors_changed()
        return changed or bool(todo)

    def _described(self, lesion: int) -> Finding | None:
        analysis = self.analysis
        if analysis is None or self.editor is None or not 1 <= lesion <= len(analysis.findings):
            return None
        finding = analysis.findings[lesion - 1]
        return finding if finding.descriptors is not None else None

    def _choose(self, lesion: int, name: str, choice: dict, announce: bool = True) -> bool:
        if self._described(lesion) is None:
            return False
        choices = self.descriptor_choices.setdefault(lesion, {})
        choices.pop(name, None)  # re-inserted last: later decisions apply after earlier ones
        choices[name] = choice
        if announce:
            self._descriptors_changed()
        return True

    def _descriptors_changed(self) -> None:
        self._descriptors_dirty = True
        self.analysis = self._corrected_analysis()
        self._emit("findings_changed", self.analysis)
        self._emit("review_changed")

    def _findings(
        self,
        image: Image,
        prediction: Prediction,
        corrected: bool = False,
        reader_label: str | None = None,
        ai_mask: np.ndarray | None = None,
    ) -> tuple[Finding, ...]:
        spec = self.model.spec if self.model is not None else None
        return findings_from(
            image,
            prediction,
            spec.min_lesion_area_px if spec else DEFAULT_MIN_AREA_PX,
            corrected=corrected,
            confidence_threshold=spec.confidence_threshold if spec else DEFAULT_CONFIDENCE,
            descriptors=template_for(spec) if spec else None,
            reader_label=reader_label,
            ai_mask=ai_mask,
        )

    def _on_image(self, analysis: Analysis, image: Image) -> Analysis:
        if analysis.withheld:  # out of scope: still nothing to show after a calibration
            return dataclasses.replace(analysis, image=image)
        findings = self._findings(image, analysis.prediction)
        return Analysis(image, analysis.prediction, findings, analysis.scope)

    # -- measurement and calibration ----------------------------------------------------------

    def add_caliper(self, start: tuple[float, float], end: tuple[float, float]) -> Caliper | None:
        """A new caliper; it becomes the selected one (Del deletes it)."""
        if self.image is None:
            return None
        caliper = measure_caliper(self.image, start, end)
        self.record_measurement("Add caliper")
        self.calipers.append(caliper)
        self._select(caliper_index=len(self.calipers) - 1)
        self._emit("calipers_changed")
        self._emit("status", caliper.detail)
        return caliper

    def line_measurements(self) -> tuple[LineMeasurement, ...]:
        """The reader's calipers on the frame on screen, as the exports take them."""
        return tuple(
            LineMeasurement(c.start, c.end, c.length_px, c.length_mm) for c in self.calipers
        )

    def caliper_end_near(self, point: Point, snap_px: float) -> tuple[int, int] | None:
        """(caliper index, 0 start / 1 end) of the end point nearest `point` within snap_px;
        the most recent caliper wins a tie, as it is drawn on top."""
        best: tuple[float, int, int] | None = None
        for index, caliper in enumerate(self.calipers):
            for end, at in enumerate((caliper.start, caliper.end)):
                d = math.hypot(at[0] - point[0], at[1] - point[1])
                if d <= snap_px and (best is None or d <= best[0]):
                    best = (d, index, end)
        return None if best is None else (best[1], best[2])

    def caliper_near(self, point: Point, snap_px: float) -> int | None:
        """The caliper whose line passes within snap_px of `point` (the most recent first)."""
        for index in range(len(self.calipers) - 1, -1, -1):
            caliper = self.calipers[index]
            if segment_distance(point, caliper.start, caliper.end) <= snap_px:
                return index
        return None

    def move_caliper_end(self, index: int, end: int, point: Point) -> Caliper | None:
        """Drag an end point of an existing caliper: re-measured (mm or the refusal) live."""
        if self.image is None or not 0 <= index < len(self.calipers):
            return None
        old = self.calipers[index]
        start, stop = (point, old.end) if end == 0 else (old.start, point)
        caliper = measure_caliper(self.image, start, stop)
        self.calipers[index] = caliper
        self._select(caliper_index=index)
        self._emit("calipers_changed")
        self._emit("status", caliper.detail)
        return caliper

    def select_caliper(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.calipers):
            index = None
        if index is not None and self.selected_lesion is not None:
            self.selected_lesion = None  # Del deletes what was selected last
            self._emit("lesion_selected", None)
        if index != self.selected_caliper or (
            index is not None and self.selected_shape is not None
        ):
            self._select(caliper_index=index)
            self._emit("calipers_changed")

    def delete_selected_caliper(self) -> bool:
        """Del: remove the selected measurement, a caliper or a shape (the others stay)."""
        if self.delete_selected_shape():
            return True
        index = self.selected_caliper
        if index is None or not 0 <= index < len(self.calipers):
            self.notify(
                "No measurement selected: click a caliper, ellipse, trace or angle (with its "
                "tool) to select it"
            )
            return False
        self.record_measurement("Delete caliper")
        removed = self.calipers.pop(index)
        self.selected_caliper = None
        self._emit("calipers_changed")
        self._emit("status", f"Caliper {removed.text} deleted")
        return True

    def select_lesion(self, index: int | None) -> None:
        """The reader selected finding `index` (a findings-table row); the caliper selection
        goes, so Del deletes what was selected last."""
        findings = self.analysis.findings if self.analysis is not None else ()
        if index is not None and not 0 <= index < len(findings):
            index = None
        if index is not None:
            self.select_caliper(None)
            self.select_shape(None)
        if index != self.selected_lesion:
            self.selected_lesion = index
            self._emit("lesion_selected", index)

    def delete_selected_lesion(self) -> bool:
        """Del: remove the selected lesion from the corrected mask, one undo step (Ctrl+Z)."""
        index, editor, analysis = self.selected_lesion, self.editor, self.analysis
        if index is None or editor is None or analysis is None or self.busy:
            self.notify("No lesion selected: click its row in the findings table")
            return False
        number = self.lesion_number(index)
        point = point_inside(analysis.findings[index], editor.mask)
        if point is None or not editor.delete_lesion(point):
            self.notify(f"Lesion {number} is not in the mask any more")
            return False
        self.notify(f"Lesion {number} deleted (Ctrl+Z brings it back)")
        return True

    def clear_calipers(self) -> None:
        """Clear Measurements: every caliper and shape of the frame (one undo step)."""
        if self.calipers or self.shapes:
            self.record_measurement("Clear measurements")
            self.calipers, self.shapes = [], []
            self._select()
            self._emit("calipers_changed")

    def measurements(self) -> CaseMeasurements:
        """The reader's calibration and calipers of the frame on screen, as stored."""
        return CaseMeasurements(
            frame_index=self.frame_index,
            calibration_mm=self.series.calibration if self.series is not None else None,
            calipers=tuple((c.start, c.end) for c in self.calipers),
            shapes=tuple(s.shape for s in self.shapes),
        )

    def restore_measurements(self, stored: CaseMeasurements) -> None:
        """A reopened case: its stored calibration (every frame) and, on the frame they were
        drawn on, its calipers, re-measured on the calibrated image."""
        if self.image is None or self.series is None:
            return
        if stored.calibration_mm is not None:
            row, col = stored.calibration_mm
            image = dataclasses.replace(self.image, spacing_mm=(row, col), regions=())
            self._set_calibrated(image, quiet=True)
        if stored.frame_index == self.frame_index and (stored.calipers or stored.shapes):
            self.calipers = [measure_caliper(self.image, a, b) for a, b in stored.calipers]
            self._remeasure_shapes_from(stored.shapes)
            self._select()
            self.measure_history.clear()
            self._emit("calipers_changed")

    def calibrate(
        self, start: tuple[float, float], end: tuple[float, float], known_mm: float
    ) -> bool:
        """The user drew a line of known length: square pixels from now on, for every frame of
        the case; findings and calipers are re-measured in mm."""
        if self.image is None or self.series is None:
            return False
        try:
            image = calibrate_by_distance(self.image, start, end, known_mm)
        except MeasurementError as exc:
            self.report_error(exc)
            return False
        self._set_calibrated(image)
        return True

    def _set_calibrated(self, image: Image, quiet: bool = False) -> None:
        assert self.series is not None
        self.series.calibration = image.spacing_mm
        self.image = image
        self.calipers = [measure_caliper(image, c.start, c.end) for c in self.calipers]
        self._remeasure_shapes(image)
        if self.ai_analysis is not None:
            self.ai_analysis = self._on_image(self.ai_analysis, image)
            self.analysis = (
                self._corrected_analysis() if self.editor is not None else self.ai_analysis
            )
        self._emit("calibration_changed", image)
        self._emit("calipers_changed")
        if self.analysis is not None:
            self._emit("findings_changed", self.analysis)
        assert image.spacing_mm is not None
        if not quiet:
            self._emit("status", f"Calibrated: {image.spacing_mm[0]:.4f} mm/px")

    # -- display ------------------------------------------------------------------------------

    def set_overlay_opacity(self, opacity: float) -> None:
        opacity = min(1.0, max(0.0, float(opacity)))
        if opacity != self.overlay_opacity:
            self.overlay_opacity = opacity
            self._emit("display_changed")

    def set_contours_visible(self, visible: bool) -> None:
        if bool(visible) != self.contours_visible:
            self.contours_visible = bool(visible)
            self._emit("display_changed")

    def set_uncertainty_visible(self, visible: bool) -> None:
        if bool(visible) != self.uncertainty_visible:
            self.uncertainty_visible = bool(visible)
            self._emit("display_changed")

    @property
    def window_adjustable(self) -> bool:
        """Grayscale only: colour (Doppler, photos) is shown as acquired."""
        return self.image is not None and not self.image.is_color

    @property
    def presets(self) -> tuple[WindowPreset, ...]:
        """The image's window presets, computed once per image (the contrast presets take
        percentiles, and the window box asks on every drag step)."""
        if self.image is None or not self.window_adjustable:
            return ()
        cached = getattr(self, "_presets_cache", None)
        if cached is None or cached[0] is not self.image:
            cached = (self.image, window_presets(self.image))
            self._presets_cache = cached
        return cached[1]

    def set_window(self, window: WindowLevel) -> None:
        if self.window_adjustable and window != self.window:
            self.window = window
            self._emit("window_changed", window)

    def drag_window(self, dx: float, dy: float) -> None:
        if self.window is not None:
            self.set_window(self.window.dragged(dx, dy))

    def apply_preset(self, name: str) -> bool:
        for preset in self.presets:
            if preset.name == name:
                self.set_window(WindowLevel.from_preset(preset))
                return True
        return False

    def reset_window(self) -> None:
        if self.image is not None:
            self.set_window(default_window(self.image))

    # -- messages -----------------------------------------------------------------------------

    def notify(self, message: str) -> None:
        self._emit("status", message)

    def report_error(self, error: BaseException | str) -> None:
        self.last_error = error if isinstance(error, str) else describe_error(error)
        self._emit("error", self.last_error)

    def dismiss_error(self) -> None:
        if self.last_error is not None:
            self.last_error = None
            self._emit("error", None)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self._emit("busy_changed", busy)
