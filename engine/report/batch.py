"""`lesionlens export`: analyse each input, then write its reports and the batch tables.

Where files go (relative names are taken inside --out DIR):
- one input: DIR/<F> for each of --pdf/--seg/--sr/--key-image;
- several inputs: DIR/<case>/<name of F>, one folder per case;
- --json/--csv: one file for the whole batch, DIR/<F>.
With none of the output options, everything is written with default names.
An output that exists already is never replaced without --overwrite: that case (or the
tables) is refused with the names of the files in the way, and the others go on.
The reader's measurements: an input that is a case of the datastore with measurements stored
by the viewer (calibration, calipers, ellipses, traces, angles) on the exported frame is
analysed with the reader's calibration, and its measurements go on the key image (calipers),
into the PDF, the SR and the batch tables, as from the viewer's Export.
Case names: when de-identifying, case-0001, case-0002, ... (file names often carry patient
names, so they appear in no path, table or printout); with --keep-identifiers, the file stem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.progress import failure_reason
from engine.reader_input import StoredLookup, read_as_stored
from engine.reader_measurements import CALIPER, ReaderMeasurement
from engine.report.deidentify import Deidentifier
from engine.report.errors import ExportError
from engine.report.export import OVERWRITE_HINT, ExportRequest, export_case
from engine.report.model_info import ModelInfo
from engine.report.naming import existing, refuse_overwrite
from engine.report.tabular import (
    CaseFindings,
    pseudonymous_cases,
    write_findings_csv,
    write_findings_json,
)
from engine.types import Analysis, Image, LineMeasurement

DEFAULT_NAMES = {
    "pdf": Path("report.pdf"),
    "seg": Path("seg.dcm"),
    "sr": Path("sr.dcm"),
    "json": Path("findings.json"),
    "csv": Path("findings.csv"),
}
PER_CASE = ("pdf", "seg", "sr", "key_image")


@dataclass(frozen=True)
class BatchOptions:
    out: Path
    pdf: Path | None = None
    seg: Path | None = None
    sr: Path | None = None
    key_image: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    deidentify: bool = True
    reviewer: str = ""
    frame_index: int = 0
    overwrite: bool = False  # replace existing outputs; by default a case that would is refused

    def with_defaults(self) -> BatchOptions:
        """Everything, under default names, when no output was asked for."""
        if any(getattr(self, k) is not None for k in (*PER_CASE, "json", "csv")):
            return self
        return BatchOptions(
            out=self.out,
            deidentify=self.deidentify,
            reviewer=self.reviewer,
            frame_index=self.frame_index,
            overwrite=self.overwrite,
            **DEFAULT_NAMES,
        )


@dataclass(frozen=True)
class CaseOutcome:
    """One line of progress: the case, what was found or the error, what was written."""

    index: int
    case: str
    file: str
    analysis: Analysis | None
    written: tuple[Path, ...]
    error: str = ""


def case_names(files: list[Path], stems: list[str], deidentify: bool) -> list[str]:
    return pseudonymous_cases(len(files)) if deidentify else stems


def export_batch(
    files: list[Path],
    stems: list[str],
    analyse: Callable[[Image], Analysis],
    model: ModelInfo,
    options: BatchOptions,
    stored: StoredLookup | None = None,
) -> Iterator[CaseOutcome]:
    """Yields one CaseOutcome per input as it is done; the batch tables are written last
    (an outcome with index 0 lists them). stored: the reader's measurements of an input
    (engine.reader_measurements.stored_for_file), None to leave them out."""
    options = options.with_defaults()
    deidentifier = Deidentifier() if options.deidentify else None
    names = case_names(files, stems, options.deidentify)
    done: list[CaseFindings] = []
    for index, (path, case) in enumerate(zip(files, names, strict=True), start=1):
        shown_file = "" if options.deidentify else path.name
        try:
            image, lines = read_as_stored(path, options.frame_index, stored)
            analysis = analyse(image)
            request = ExportRequest(
                calipers=_as_calipers(lines),
                shapes=tuple(m for m in lines if m.kind != CALIPER),
                deidentify=options.deidentify,
                reviewer=options.reviewer,
                frame_index=options.frame_index,
                case=case,
                overwrite=options.overwrite,
                **{k: _target(options, k, case, len(files)) for k in PER_CASE},
            )
            result = export_case(analysis, model, request, deidentifier)
        except Exception as exc:  # noqa: BLE001 - one bad input never stops the batch
            yield CaseOutcome(index, case, shown_file, None, (), error=failure_reason(exc))
            continue
        done.append(CaseFindings(case, shown_file, analysis, lines, options.frame_index + 1))
        yield CaseOutcome(index, case, shown_file, analysis, result.written)
    tables: list[Path] = []
    wanted = [_inside(options.out, t) for t in (options.json, options.csv) if t is not None]
    if not options.overwrite and existing(wanted):
        try:
            refuse_overwrite(wanted, OVERWRITE_HINT)
        except ExportError as exc:
            yield CaseOutcome(0, "", "", None, (), error=str(exc))
            return
    if options.json is not None:
        path = _inside(options.out, options.json)
        tables.append(write_findings_json(path, done, model, options.deidentify))
    if options.csv is not None:
        tables.append(write_findings_csv(_inside(options.out, options.csv), done, model))
    if tables:
        yield CaseOutcome(0, "", "", None, tuple(tables))


def _as_calipers(lines: tuple[ReaderMeasurement, ...]) -> tuple[LineMeasurement, ...]:
    out = []
    for m in lines:
        if m.kind == CALIPER:
            start, end = m.points
            length_px = ((end[0] - start[0]) ** 2 + (end[1] - start[1]) ** 2) ** 0.5
            out.append(LineMeasurement(start, end, length_px, m.value if m.calibrated else None))
    return tuple(out)


def _target(options: BatchOptions, key: str, case: str, count: int) -> Path | None:
    name = getattr(options, key)
    if name is None:
        return None
    if count == 1 or name.is_absolute():
        return _inside(options.out, name) if count == 1 else name.parent / case / name.name
    return options.out / case / name.name


def _inside(folder: Path, name: Path) -> Path:
    return name if name.is_absolute() else folder / name
