"""Where `lesionlens export` writes a multi-view case's PDF, JSON and CSV
(engine.report.study.export; the batch itself is engine.study.commands.export_studies). One
study: the files go where --pdf/--json/--csv say (relative names inside --out) or under
default names in --out; several studies get one folder each, named by case, or case-0001, ...
when de-identifying."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.report.study.export import StudyExportRequest

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


def study_request(options: StudyExportOptions, name: str, single: bool) -> StudyExportRequest:
    """Where one study's PDF, JSON and CSV go: --out itself for a single study, else
    --out/<name> (its case id, or case-0001... when de-identifying)."""
    folder = options.out if single else options.out / name
    return StudyExportRequest(
        pdf=_target(options, folder, "pdf", single),
        json=_target(options, folder, "json", single),
        csv=_target(options, folder, "csv", single),
        deidentify=options.deidentify,
        reviewer=options.reviewer,
        case=name,
    )
