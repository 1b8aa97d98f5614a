"""Single images as a Task: a thin adapter over engine.analysis (predict, scope, findings),
engine.reader_input (the frame and the reader's measurements), engine.report.batch (the
export with its batch tables) and engine.evaluation.ImageScoring."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine import model_lookup  # looked up at call time: tests stand a model in
from engine.case import IMAGE, Case, open_case
from engine.evaluation import ImageScoring
from engine.inference import LoadedModel
from engine.progress import StepProgress
from engine.tasks.protocol import (
    AnalyseRequest,
    Batch,
    BatchRefused,
    CaseInput,
    EvaluateRequest,
    ExportBatchRequest,
    ModelRequest,
)
from engine.types import Analysis, Prediction

EXIT_OK, EXIT_FAILED_INPUTS = 0, 1


def image_model(request: ModelRequest) -> LoadedModel:
    """--model or the registry's active model (engine.model_lookup), at the request's
    precision and at the --operating-point the reader named."""
    model = model_lookup.find_model(
        IMAGE, request.model, device=request.device, precision=request.precision
    )
    if request.operating_point:
        model = model.at_operating_point(request.operating_point)
    return model


def frame_index(frame: int) -> int:
    """--frame (counted from 1, as DICOM counts) as an index; BatchRefused below 1."""
    if frame < 1:
        raise BatchRefused("--frame counts from 1")
    return frame - 1


def image_files(inputs: Sequence[Path]) -> list[Path]:
    """The image files of the inputs (folders and DICOMDIRs expanded); BatchRefused when
    there are none."""
    from engine.cli.common import expand_inputs

    files = expand_inputs(inputs)
    if not files:
        raise BatchRefused("no input images found")
    return files


class ImageTask:
    kind = IMAGE

    def analyse_batch(self, inputs: Sequence[Path], request: AnalyseRequest) -> Batch:
        from engine.cli.common import output_names

        frame_index(request.frame)
        model = image_model(request)  # before the inputs, as analyze always has
        files = image_files(inputs)
        items = [CaseInput(f, None, n) for f, n in zip(files, output_names(files), strict=True)]
        return Batch(items, model=model)

    def failure_name(self, item: CaseInput) -> str:
        return str(item.path)

    def open(self, item: CaseInput, request: AnalyseRequest) -> Case:
        """As export reads it: that frame, the reader's calibration and measurements on it."""
        from engine.reader_measurements import stored_for_file

        index = frame_index(request.frame)
        return open_case(item.path, kind=IMAGE, frame_index=index, stored=stored_for_file)

    def find_model(self, case: Case, request: ModelRequest) -> LoadedModel:
        return image_model(request)

    def predict(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> Prediction:
        return model.predict(case.image, tta=request.tta)

    def analyse(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> Analysis:
        from engine.analysis import analyze

        return analyze(case.image, model, tta=request.tta, template=request.template)

    def write(
        self,
        case: Case,
        analysis: Analysis,
        model: LoadedModel,
        out: Path,
        request: AnalyseRequest,
    ) -> Path:
        from engine.analysis import write_analysis

        return write_analysis(analysis, out, case.measured, frame=request.frame)

    def result_line(self, case: Case, analysis: Analysis, out: Path) -> str:
        label = analysis.prediction.label
        prob = analysis.prediction.probabilities[label]
        return (
            f"{case.source.name}: {label} ({prob:.0%}), {len(analysis.findings)} lesion(s) -> {out}"
        )

    def export(self, inputs: Sequence[Path], request: ExportBatchRequest) -> int:
        """PDF, SEG, SR, key image per case and the batch's JSON and CSV (engine.report.batch);
        prints case names and results only: no file name when de-identifying, no metadata."""
        from engine.analysis import analyze
        from engine.cli.common import error, output_names
        from engine.reader_measurements import stored_for_file
        from engine.report import ModelInfo
        from engine.report.batch import BatchOptions, export_batch

        index = frame_index(request.frame)
        files = image_files(inputs)
        model = image_model(request)
        options = BatchOptions(
            out=request.out,
            pdf=request.pdf,
            seg=request.seg,
            sr=request.sr,
            key_image=request.key_image,
            json=request.json,
            csv=request.csv,
            deidentify=request.deidentify,
            reviewer=request.reviewer,
            frame_index=index,
            overwrite=request.overwrite,
        )
        outcomes = export_batch(
            files,
            output_names(files),
            lambda image: analyze(image, model),
            ModelInfo.from_spec(model.spec),
            options,
            stored=stored_for_file,  # the reader's measurements, where the viewer stored some
        )
        failures = 0
        with StepProgress(len(files), "exporting") as progress:
            for outcome in outcomes:
                written = ", ".join(str(p) for p in outcome.written)
                if outcome.index == 0:
                    if outcome.error:
                        failures += 1
                        progress.write(f"lesionlens: error: batch tables: {outcome.error}")
                    else:
                        progress.write(f"batch tables -> {written}")
                    continue
                who = outcome.case + (f" ({outcome.file})" if outcome.file else "")
                if outcome.error:
                    failures += 1
                    progress.step(
                        f"lesionlens: error: [{outcome.index}/{len(files)}] {who}: {outcome.error}"
                    )
                    continue
                prediction = outcome.analysis.prediction
                progress.step(
                    f"[{outcome.index}/{len(files)}] {who}: {prediction.label} "
                    f"({prediction.probabilities[prediction.label]:.0%}), "
                    f"{len(outcome.analysis.findings)} lesion(s) -> {written}"
                )
        if failures:
            error(f"{failures} of {len(files)} input(s) could not be exported")
            return EXIT_FAILED_INPUTS
        return EXIT_OK

    def scoring(self, request: EvaluateRequest) -> ImageScoring:
        return ImageScoring(request.data, image_model(request), keep_masks=request.keep_masks)
