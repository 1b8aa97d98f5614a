"""The open case as plain Python: what is on screen, and the events widgets subscribe to.

Qt-free on purpose (napari's components/ layer): tests drive it without a display, and the
widgets only render it and forward input. Every change goes through a method that emits one
named event, so a widget never has to poll.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.analysis import analyze
from engine.errors import BundleError, LoadError
from engine.inference import LoadedModel
from engine.io import load_image
from engine.types import Analysis, Image

EVENTS = (
    "image_changed",  # a new image is open (its analysis is cleared)
    "analysis_changed",  # the analysis of the open image arrived (or was cleared)
    "model_changed",  # a model was loaded
    "busy_changed",  # an analysis started or ended
    "display_changed",  # overlay opacity or contour visibility
    "error",  # last_error changed (None when it was dismissed)
)

Callback = Callable[..., None]
DEFAULT_OPACITY = 0.35


@dataclass(frozen=True)
class AnalysisRequest:
    """One analysis job. The generation ties the result to the image it was started for, so a
    slow result for an image the user has already replaced is dropped, never shown."""

    generation: int
    image: Image
    model: LoadedModel


def analysis_steps(request: AnalysisRequest) -> Generator[str, None, Analysis]:
    """The analysis as a generator (superqt's thread_worker idea): it yields progress text and
    can be cancelled between steps; the worker thread runs it, tests can run it directly."""
    yield f"Analysing with {request.model.spec.model_id}…"
    return analyze(request.image, request.model)


def describe_error(error: BaseException) -> str:
    """One line a clinician can act on; the reader's typed errors already name file and reason."""
    if isinstance(error, LoadError):
        return f"Cannot open {error.path.name}: {error.reason}"
    if isinstance(error, BundleError):
        return f"Model unavailable: {error}"
    return f"Unexpected error: {type(error).__name__}: {error}"


class CaseState:
    """The image on screen, its analysis, the display settings and the last error."""

    def __init__(self, model: LoadedModel | None = None) -> None:
        self.image: Image | None = None
        self.path: Path | None = None
        self.analysis: Analysis | None = None
        self.model: LoadedModel | None = model
        self.overlay_opacity: float = DEFAULT_OPACITY
        self.contours_visible: bool = True
        self.last_error: str | None = None
        self.busy: bool = False
        self._generation = 0
        self._listeners: dict[str, list[Callback]] = {name: [] for name in EVENTS}

    # -- events -------------------------------------------------------------------------------

    def subscribe(self, event: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(*args)` on `event`; returns the function that unsubscribes it."""
        if event not in self._listeners:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENTS)}")
        self._listeners[event].append(callback)
        return lambda: self._listeners[event].remove(callback)

    def _emit(self, event: str, *args: Any) -> None:
        for callback in list(self._listeners[event]):
            callback(*args)

    # -- case ---------------------------------------------------------------------------------

    def open(self, path: str | Path) -> bool:
        """Read an image and make it the open one. On failure record the error and keep the
        previous image and analysis, so nothing half-loaded ever reaches the screen."""
        try:
            image = load_image(path)
        except LoadError as exc:
            self.report_error(exc)
            return False
        self.show_image(image, Path(path))
        return True

    def show_image(
        self, image: Image, path: Path | None = None, analysis: Analysis | None = None
    ) -> None:
        """Replace the open image. The old analysis no longer applies: it is replaced by
        `analysis` (a case reopened with its saved result) or cleared."""
        if analysis is not None and analysis.image is not image:
            raise ValueError("the analysis belongs to another image")
        self._generation += 1
        self.image, self.path, self.analysis = image, path, analysis
        self._set_busy(False)
        self.dismiss_error()
        self._emit("image_changed", image)
        self._emit("analysis_changed", analysis)

    def set_model(self, model: LoadedModel) -> None:
        self.model = model
        self._emit("model_changed", model)

    @property
    def can_analyze(self) -> bool:
        """True when an image and a model are present and the image has no analysis yet."""
        return (
            self.image is not None
            and self.model is not None
            and self.analysis is None
            and not self.busy
        )

    def start_analysis(self) -> AnalysisRequest:
        if self.image is None or self.model is None:
            raise RuntimeError("start_analysis needs an open image and a model")
        self._set_busy(True)
        return AnalysisRequest(self._generation, self.image, self.model)

    def finish_analysis(self, request: AnalysisRequest, analysis: Analysis) -> bool:
        """Show the result if it still belongs to the open image; False when it was stale."""
        if request.generation != self._generation:
            return False
        self.analysis = analysis
        self._set_busy(False)
        self._emit("analysis_changed", analysis)
        return True

    def fail_analysis(self, request: AnalysisRequest, error: BaseException) -> None:
        """The image stays on screen without an overlay; the error says why. A failure for an
        image that is no longer open is dropped like a stale result."""
        if request.generation != self._generation:
            return
        self._set_busy(False)
        self.report_error(error)

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

    # -- errors -------------------------------------------------------------------------------

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
