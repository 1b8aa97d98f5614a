"""Multi-view cases (one class from several views) as a Task: a thin adapter over
engine.study (inputs, model by views, analysis, findings.json, export, StudyScoring)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.case import STUDY, Case, open_case
from engine.inference import LoadedModel
from engine.study import commands as study_commands
from engine.study.evaluation import StudyScoring
from engine.tasks.protocol import (
    AnalyseRequest,
    Batch,
    BatchRefused,
    CaseInput,
    EvaluateRequest,
    ExportBatchRequest,
    ModelRequest,
)
from engine.types import StudyAnalysis, StudyPrediction

NOT_FOR_STUDIES = ("seg", "sr", "key_image")


class ViewsTask:
    kind = STUDY

    def analyse_batch(self, inputs: Sequence[Path], request: AnalyseRequest) -> Batch:
        return Batch(self._inputs(inputs, request.case, request.model), noun="case(s)")

    def _inputs(
        self, inputs: Sequence[Path], case: str | None, model: Path | None
    ) -> list[CaseInput]:
        items = study_commands.study_inputs(list(inputs), case, model)
        if items is None:  # the inputs are single images (engine.case.inputs_kind)
            raise BatchRefused(f"{', '.join(map(str, inputs))}: not a multi-view study")
        return [CaseInput(root, one) for root, one in items]

    def failure_name(self, item: CaseInput) -> str:
        return study_commands.item_name((item.path, item.case))

    def open(self, item: CaseInput, request: AnalyseRequest) -> Case:
        return open_case(item.path, case=item.case, kind=STUDY)

    def find_model(self, case: Case, request: ModelRequest) -> LoadedModel:
        """--model, else the shipped bundle whose inputs are exactly the case's views."""
        return study_commands.model_for(case.as_study(), request.model, request.device)

    def predict(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> StudyPrediction:
        from engine.study.inference import predict_study

        return predict_study(case.as_study(), model, tta=request.tta)

    def analyse(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> StudyAnalysis:
        from engine.study.analysis import analyze_study

        return analyze_study(case.as_study(), model, tta=request.tta)

    def write(
        self,
        case: Case,
        analysis: StudyAnalysis,
        model: LoadedModel,
        out: Path,
        request: AnalyseRequest,
    ) -> Path:
        """DIR/findings.json, masks and attention maps per view (engine.study.analysis)."""
        from engine.study.analysis import write_study_analysis

        return write_study_analysis(analysis, out)

    def result_line(self, case: Case, analysis: StudyAnalysis, out: Path) -> str:
        prediction = analysis.prediction
        lesions = "".join(
            f", {view}: {len(found)} lesion(s)" for view, found in analysis.findings.items()
        )
        return (
            f"{case.case_id} ({', '.join(case.views)}): {prediction.label} "
            f"({prediction.probabilities[prediction.label]:.0%}){lesions} -> {out}"
        )

    def export(self, inputs: Sequence[Path], request: ExportBatchRequest) -> int:
        """PDF, JSON and CSV per study (engine.study.commands.export_studies)."""
        from engine.report.study.batch import StudyExportOptions

        items = self._inputs(inputs, request.case, request.model)
        if request.asked(*NOT_FOR_STUDIES):
            raise BatchRefused(
                "a multi-view study exports --pdf, --json and --csv (no SEG, SR or key image)"
            )
        options = StudyExportOptions(
            out=request.out,
            pdf=request.pdf,
            json=request.json,
            csv=request.csv,
            deidentify=request.deidentify,
            reviewer=request.reviewer,
            model=request.model,
            device=request.device,
        )
        return study_commands.export_studies([(i.path, i.case) for i in items], options)

    def scoring(self, request: EvaluateRequest) -> StudyScoring:
        return study_commands.study_scoring(request.data, request.model, request.device)
