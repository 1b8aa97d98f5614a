"""Analyse a list of cases one after another ("Analyze all" in the case list), Qt-free.

The batch is a generator yielding one BatchStep per case, so the window can run it one case
per worker job (cancellable between cases, interleaved with the case on screen) and tests can
run it without Qt. A case that fails in any way (unreadable file, a crop with no pixels, an
unexpected exception) becomes a step with the reason and the batch goes on; an image the
model was not made for (desktop.models.image.domain) is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop.models.image.domain import domain_mismatch
from desktop.models.image.series import IMAGE, VOLUME
from desktop.models.opening import open_series
from engine.analysis import analyze
from engine.inference import LoadedModel
from engine.progress import failure_reason
from engine.types import Analysis


@dataclass(frozen=True)
class BatchStep:
    """Case `done` of `total` is finished: its analysis, or why there is none."""

    done: int
    total: int
    path: Path
    analysis: Analysis | None = None
    error: str | None = None  # unreadable or failed: the reason
    skipped: str | None = None  # out of the model's domain: the reason
    kind: str = IMAGE  # desktop.models.image.series: image, cine or volume

    @property
    def status(self) -> str:
        """What the case list shows for this case."""
        if self.error is not None:
            return f"error: {self.error}"
        if self.skipped is not None:
            return "not analysed"
        return "AI done"


def batch_steps(
    paths: Iterable[str | Path], model: LoadedModel
) -> Generator[BatchStep, None, None]:
    """Each case's default frame (a cine's first, a volume's middle slice), analysed as the
    viewer would analyse it when opened (desktop.models.opening.open_series, as it reads it)."""
    paths = [Path(p) for p in paths]
    total = len(paths)
    for done, path in enumerate(paths, start=1):
        try:
            series = open_series(path)
            image = series.frame(series.default_index)
            mismatch = domain_mismatch(model, image, series.kind == VOLUME)
            if mismatch is not None:
                yield BatchStep(done, total, path, skipped=mismatch.reason())
                continue
            analysis = analyze(image, model)
            yield BatchStep(done, total, path, analysis=analysis, kind=series.kind)
        except Exception as exc:  # noqa: BLE001 - any failure is this case's; the batch goes on
            yield BatchStep(done, total, path, error=failure_reason(exc))


def next_batch_step(
    steps: Generator[BatchStep, None, None],
) -> Generator[str, None, BatchStep | None]:
    """One case of a running batch as a worker job (desktop.widgets.worker); None when all are
    done."""
    yield "Analysing the next case of the batch…"
    return next(steps, None)


class AnalysisCache:
    """Batch results kept in memory per file and model, so opening an analysed case shows its
    result at once. Only single images: a cine or volume is analysed per frame on screen."""

    def __init__(self) -> None:
        self._results: dict[Path, Analysis] = {}

    def put(self, path: Path, analysis: Analysis, kind: str = IMAGE) -> None:
        if kind == IMAGE:
            self._results[Path(path).resolve()] = analysis

    def get(self, path: Path | None, model_id: str, operating_point: str = "") -> Analysis | None:
        """The batch's analysis of `path` if it was made by this model at this operating point."""
        if path is None:
            return None
        analysis = self._results.get(Path(path).resolve())
        if analysis is None or analysis.prediction.model_id != model_id:
            return None
        return analysis if analysis.prediction.operating_point == operating_point else None

    def __contains__(self, path: object) -> bool:
        return isinstance(path, Path) and path.resolve() in self._results
