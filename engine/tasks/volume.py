"""CT/MR volumes (kidney and tumour) as a Task: a thin adapter over engine.volume
(reading, the model, predict_volume, the batch line, VolumeScoring) and
engine.report.volume.export (volume.json, labels NIfTI, the two-segment SEG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.batch import run_cases
from engine.case import VOLUME, Case, open_case
from engine.inference import LoadedModel
from engine.tasks.protocol import (
    AnalyseRequest,
    Batch,
    BatchRefused,
    CaseInput,
    EvaluateRequest,
    ExportBatchRequest,
    ModelRequest,
)
from engine.types import VolumeAnalysis, VolumePrediction
from engine.volume.commands import describe, volume_model, volume_name
from engine.volume.evaluation import VolumeScoring

ONLY_FOR_IMAGES = ("pdf", "sr", "key_image", "csv")  # in the order the refusal names them


class VolumeTask:
    kind = VOLUME

    def analyse_batch(self, inputs: Sequence[Path], request: AnalyseRequest) -> Batch:
        model = volume_model(request.model, request.device)
        return Batch([CaseInput(p, None, volume_name(p)) for p in inputs], model=model)

    def failure_name(self, item: CaseInput) -> str:
        return str(item.path)

    def open(self, item: CaseInput, request: AnalyseRequest) -> Case:
        return open_case(item.path, kind=VOLUME)

    def find_model(self, case: Case, request: ModelRequest) -> LoadedModel:
        """--model (a volume bundle) or the shipped volume bundle."""
        return volume_model(request.model, request.device)

    def predict(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> VolumePrediction:
        from engine.volume.inference import predict_volume

        return predict_volume(case.volume, model)

    def analyse(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> VolumeAnalysis:
        return VolumeAnalysis(case.volume, self.predict(case, model, request))

    def write(
        self,
        case: Case,
        analysis: VolumeAnalysis,
        model: LoadedModel,
        out: Path,
        request: AnalyseRequest,
    ) -> Path:
        """DIR/volume.json (and labels.nii.gz with --labels-nifti); no identifiers removed:
        the record stays beside the reader's own data."""
        from engine.report.model_info import ModelInfo
        from engine.report.volume.export import VolumeExportRequest, export_volume

        wanted = VolumeExportRequest(
            json=out / "volume.json",
            labels_nifti=out / "labels.nii.gz" if request.labels_nifti else None,
            deidentify=False,
        )
        export_volume(analysis.volume, analysis.prediction, ModelInfo.from_spec(model.spec), wanted)
        return out

    def result_line(self, case: Case, analysis: VolumeAnalysis, out: Path) -> str:
        return f"{case.source.name}: {describe(analysis.prediction)} -> {out}"

    def export(self, inputs: Sequence[Path], request: ExportBatchRequest) -> int:
        """SEG (two segments) + JSON per volume; PDF, SR, key image and CSV are 2D."""
        from engine.report import ModelInfo
        from engine.report.volume.export import VolumeExportRequest, export_volume
        from engine.volume.inference import predict_volume

        wanted_2d = request.asked(*ONLY_FOR_IMAGES)
        if wanted_2d:
            raise BatchRefused(
                f"--{wanted_2d[0].replace('_', '-')} is for images; "
                "a volume exports --seg and --json"
            )
        model = volume_model(request.model, request.device)
        info = ModelInfo.from_spec(model.spec)
        seg, js = request.seg, request.json
        if seg is None and js is None:
            seg, js = Path("seg.dcm"), Path("volume.json")

        def step(item: tuple[Path, str]) -> str:
            path, name = item  # name: case001... when de-identifying, so no file name shows
            out = request.out / name if len(inputs) > 1 else request.out
            wanted = VolumeExportRequest(
                seg=out / seg if seg is not None else None,
                json=out / js if js is not None else None,
                deidentify=request.deidentify,
            )
            volume = open_case(path, kind=VOLUME).volume
            prediction = predict_volume(volume, model)
            result = export_volume(volume, prediction, info, wanted)
            shown = [p for p in result.written if "source_ct" not in p.parts]
            return f"{name}: {describe(prediction)} -> {', '.join(str(p) for p in shown)}"

        items = [
            (path, f"case{i:03d}" if request.deidentify else volume_name(path))
            for i, path in enumerate(inputs, start=1)
        ]
        return run_cases(items, step, lambda item: item[1], "exporting")

    def scoring(self, request: EvaluateRequest) -> VolumeScoring:
        from engine.volume.evaluation import volume_cases

        return VolumeScoring(
            volume_cases(request.data), volume_model(request.model, request.device)
        )
