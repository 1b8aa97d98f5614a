"""`lesionlens export` on multi-view cases: analyse each study with its model and write its
PDF, JSON and CSV (engine.report.study_export). One study: the files go where --pdf/--json/
--csv say (relative names inside --out) or under default names in --out; several studies get
one folder each, named by case, or case-0001, ... when de-identifying."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from engine.io.study import load_study
from engine.progress import failure_reason
from engine.report.model_info import ModelInfo
from engine.report.study_export import StudyExportRequest, export_study
from engine.report.tabular import pseudonymous_cases

DEFAULT_NAMES = {"pdf": "report.pdf", "json": "finding.json", "csv": "finding.csv"}


@dataclass(frozen=True)
class StudyExportOptions:
    out: Path
    pdf: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    deidentify: bool = True
    reviewer: str = ""
    model: Path | None = None
    device: str = "auto"


def _target(options: StudyExportOptions, folder: Path, name: str, single: bool) -> Path | None:
    """Where output `name` goes; None when other outputs were asked for and this one not."""
    given = getattr(options, name)
    if given is None:
        asked = any(getattr(options, n) is not None for n in DEFAULT_NAMES)
        return None if asked else folder / DEFAULT_NAMES[name]
    if single:
        return given if given.is_absolute() else folder / given
    return folder / given.name


def export_studies(items: list[tuple[Path, str | None]], options: StudyExportOptions) -> int:
    """Exit status: 0, or 1 when some studies could not be exported (each says why)."""
    from engine.study_analysis import analyze_study
    from engine.study_commands import model_for

    single = len(items) == 1
    pseudonyms = pseudonymous_cases(len(items))
    failures = 0
    for i, (path, case) in enumerate(items, start=1):
        where = f"[{i}/{len(items)}]"
        try:
            study = load_study(path, case)
            model = model_for(study, options.model, options.device)
            analysis = analyze_study(study, model)
            name = pseudonyms[i - 1] if options.deidentify else study.case_id
            folder = options.out if single else options.out / name
            request = StudyExportRequest(
                pdf=_target(options, folder, "pdf", single),
                json=_target(options, folder, "json", single),
                csv=_target(options, folder, "csv", single),
                deidentify=options.deidentify,
                reviewer=options.reviewer,
                case=name,
            )
            result = export_study(analysis, ModelInfo.from_spec(model.spec), request)
        except Exception as exc:  # noqa: BLE001 - one bad study never stops the batch
            failures += 1
            print(
                f"lesionlens: error: {where} {case or path}: {failure_reason(exc)}",
                file=sys.stderr,
            )
            continue
        prediction = analysis.prediction
        written = ", ".join(str(p) for p in result.written)
        print(
            f"{where} {name} ({' + '.join(study.views)}): {prediction.label} "
            f"({prediction.probabilities[prediction.label]:.0%}) -> {written}",
            file=sys.stderr,
        )
    if failures:
        print(
            f"lesionlens: error: {failures} of {len(items)} studies not exported", file=sys.stderr
        )
        return 1
    return 0
