"""The multi-view side of `lesionlens analyze / evaluate / export`, used by the views task
(engine.tasks.views): which studies the inputs hold, the model of a study, the export batch
and the data set to evaluate.

A study input is a folder of view-named files (anterior.png, case7_us.png, ...), a multi-view
data set (views.csv; every case, or the one named by --case), or — with --model naming a
multi-view bundle — any layout engine.io.load_study reads (a DICOM study, a DICOMDIR).
Without --model the shipped bundle whose inputs are exactly the case's views is used
(engine.model_lookup.find_model).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine import model_lookup  # looked up at call time, so a stand-in never sticks
from engine.batch import run_cases
from engine.bundle import read_bundle
from engine.case_kind import STUDY, VIEWS_TABLE, study_source, views_table_cases
from engine.errors import LesionLensError
from engine.inference import LoadedModel
from engine.io.study import load_study
from engine.types import Study

if TYPE_CHECKING:
    from engine.report.study.batch import StudyExportOptions
    from engine.study.evaluation import StudyScoring

StudyItem = tuple[Path, str | None]  # (folder, case in its views.csv or None)


def study_inputs(
    inputs: list[Path], case: str | None, model: Path | None
) -> list[StudyItem] | None:
    """The studies to analyse, or None when the inputs are single images (engine.case_kind
    decides, as it does for the GUI). With --model naming a multi-view bundle every input is a
    study: any layout engine.io.load_study reads (a DICOM study, a DICOMDIR)."""
    takes_views = model is not None and read_bundle(model).spec.task == "views"
    if case is not None:
        return [(path, case) for path in inputs]
    sources = [study_source(path) for path in inputs]
    if not takes_views and any(source is None for source in sources):
        return None
    items: list[StudyItem] = []
    for path, source in zip(inputs, sources, strict=True):
        root, one = source or (path, None)
        cases = [] if one is not None else _dataset_cases(root)
        items += [(root, c) for c in cases] if cases else [(root, one)]
    return items


def _dataset_cases(root: Path) -> list[str]:
    """Every case of a views.csv data set; [] for a folder without one."""
    return views_table_cases(root) if (root / VIEWS_TABLE).is_file() else []


def model_for(study: Study, model_dir: Path | None, device: str) -> LoadedModel:
    """--model when given, else the shipped bundle that takes exactly this case's views
    (engine.model_lookup)."""
    source = study.metadata.get("source") or study.case_id
    return model_lookup.find_model(
        STUDY, model_dir, views=study.views, device=device, source=source
    )


def analyze_studies(
    items: list[StudyItem], out: Path, model_dir: Path | None, device: str, tta: bool
) -> int:
    """Analyse each study; DIR/<case>/findings.json (+ masks and attention maps). Returns the
    exit status: 0, or 1 when some studies could not be analysed. The loop is the one of
    every kind (engine.tasks.run) with the multi-view task (engine.tasks.views)."""
    from engine.tasks import AnalyseRequest, Batch, CaseInput, analyse_cases
    from engine.tasks.views import ViewsTask

    request = AnalyseRequest(model=model_dir, device=device, out=out, tta=tta)
    batch = Batch([CaseInput(path, case) for path, case in items], noun="case(s)")
    return analyse_cases(ViewsTask(), batch, request)


def item_name(item: StudyItem) -> str:
    """How a failure names a study: its folder, and its case when a views.csv holds several."""
    path, case = item
    return f"{path} case {case}" if case else str(path)


def export_studies(items: list[StudyItem], options: StudyExportOptions) -> int:
    """Analyse each study with its model and write its PDF, JSON and CSV. Exit status: 0, or
    1 when some studies could not be exported (each says why)."""
    from engine.report.model_info import ModelInfo
    from engine.report.study.batch import study_request
    from engine.report.study.export import export_study
    from engine.report.tabular import pseudonymous_cases
    from engine.study.analysis import analyze_study

    pseudonyms = pseudonymous_cases(len(items))

    def step(numbered: tuple[int, StudyItem]) -> str:
        i, item = numbered
        study = load_study(*item)
        model = model_for(study, options.model, options.device)
        analysis = analyze_study(study, model)
        name = pseudonyms[i] if options.deidentify else study.case_id
        request = study_request(options, name, single=len(items) == 1)
        result = export_study(analysis, ModelInfo.from_spec(model.spec), request)
        prediction = analysis.prediction
        return (
            f"{name} ({' + '.join(study.views)}): {prediction.label} "
            f"({prediction.probabilities[prediction.label]:.0%}) -> "
            + ", ".join(str(p) for p in result.written)
        )

    def failed_name(numbered: tuple[int, StudyItem]) -> str:
        path, case = numbered[1]
        return case or str(path)

    return run_cases(list(enumerate(items)), step, failed_name, "exporting", noun="case(s)")


def study_scoring(data: Path, model_dir: Path | None, device: str) -> StudyScoring:
    """The multi-view data set to evaluate, with --model or the shipped bundle that takes the
    views of its first case."""
    from engine.study.evaluation import StudyScoring

    cases = _dataset_cases(data)
    if not cases:
        raise LesionLensError(f"{data}: views.csv lists no cases")
    model = model_for(load_study(data, cases[0]), model_dir, device)
    return StudyScoring(data, model)
