"""Model and analysis of the single image on screen: loading a bundle on the worker queue,
analysing the image once it is shown (and not while a cine plays, a study is shown or the
model for it is being chosen), a result "Analyze all" already has instead of a second run,
and the reader's saved review shown over the AI's answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Protocol

from desktop.models.image.series import IMAGE
from desktop.models.image.state import AnalysisRequest, CaseState, analysis_steps
from desktop.models.reading.case_list import CaseList
from desktop.models.reading.review import AI_DONE
from desktop.shell.batch import BatchRunner
from desktop.shell.jobs import JobQueue
from desktop.shell.saving import ReviewSaving
from engine.errors import LesionLensError
from engine.inference import LoadedModel, load_model
from engine.registry import Registry
from engine.types import Analysis


def model_steps(bundle_dir: str | Path | None) -> Generator[str, None, LoadedModel]:
    yield "Loading model…"
    return load_model(bundle_dir)


class Host(Protocol):
    """Whether the image may be analysed now, and what the loaded model goes through."""

    def image_on_screen(self) -> bool: ...

    def apply_operating_point(self, model: LoadedModel) -> LoadedModel: ...


class ImageAnalysis:
    def __init__(
        self,
        host: Host,
        state: CaseState,
        cases: CaseList,
        jobs: JobQueue,
        batch: BatchRunner,
        saving: ReviewSaving,
        show_status: Callable[[str], None],
    ) -> None:
        self.host = host
        self.state = state
        self.cases = cases
        self.jobs = jobs
        self.batch = batch
        self.saving = saving
        self.show_status = show_status
        self._started_at = 0.0

    def load_model(self, bundle_dir: str | Path | None = None) -> None:
        """Load a bundle on the worker thread; None means the default bundle."""
        self.jobs.start(lambda: model_steps(bundle_dir), None, self._on_model_loaded)

    def load_active_model(self, registry: Registry) -> None:
        """The registry's active model (the shipped default until a model is promoted)."""
        try:
            bundle_dir = registry.active_dir()
        except (LesionLensError, OSError) as exc:
            self.state.report_error(f"Model registry unavailable, using the default: {exc}")
            bundle_dir = None
        self.load_model(bundle_dir)

    def run_anyway(self, volume_shown: bool) -> bool:
        """Model ▸ Run Model Anyway: analyse an image outside the model's domain (research)."""
        if volume_shown:
            self.state.notify(
                "A volume is analysed by the volume model (Model ▸ Analyze Volume), "
                "not slice by slice with the ultrasound model"
            )
            return False
        if not self.state.run_model_anyway():
            self.state.notify("Nothing to override: the model was made for this image")
            return False
        self.state.notify("Running the model outside its domain: its output is not a finding")
        return True

    def use_model(self, model: LoadedModel) -> None:
        """Another model or operating point: re-analyse with it."""
        self.state.set_model(model)
        self.analyze_if_ready()

    def analyze_if_ready(self) -> None:
        state = self.state
        if not self.host.image_on_screen() or not state.can_analyze:
            return
        request = state.start_analysis()
        self._started_at = time.perf_counter()
        cached = self._batch_result()
        if cached is not None:  # analysed by "Analyze all": no second run
            self._on_analysis_done(request, cached)
            return
        self.jobs.start(lambda: analysis_steps(request), request, self._on_analysis_done)

    def _batch_result(self) -> Analysis | None:
        state = self.state
        if state.model is None or state.series is None or state.series.kind != IMAGE:
            return None
        spec = state.model.spec
        return self.batch.results.get(state.path, spec.model_id, spec.operating_point)

    def _on_model_loaded(self, _tag: None, model: LoadedModel) -> None:
        self.show_status(f"Model {model.spec.model_id} v{model.spec.version} loaded")
        self.state.set_model(self.host.apply_operating_point(model))

    def _on_analysis_done(self, request: AnalysisRequest, analysis: Analysis) -> None:
        state = self.state
        if not state.is_current(request):
            return  # stale: the user moved on (no datastore lookup for it)
        saved = self.saving.stored()
        if not state.finish_analysis(request, analysis, saved):
            return
        seconds = time.perf_counter() - self._started_at
        n = len(analysis.findings)
        text = (
            f"Analysis done in {seconds:.2f} s: {analysis.prediction.label}, "
            f"{n} lesion{'s' if n != 1 else ''}"
        )
        if saved is not None:
            text += f"; showing the saved review ({saved.summary()})"
        self.show_status(text)
        if saved is None and state.path is not None:
            self.cases.set_status(state.path, AI_DONE)
