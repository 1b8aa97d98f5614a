"""What every kind of case does for `lesionlens analyze / evaluate / export`: the Task protocol
and the requests the commands hand it.

A task is one kind of case (engine.case: IMAGE, STUDY, VOLUME) as the commands see it: which
inputs a batch holds, how one is read (engine.case.open_case), which model reads it
(engine.model_lookup), what the model says (a CasePrediction), what is written for it
(findings.json, volume.json, masks), its line in the batch, its export and its scoring for
evaluate. The loops are written once (engine.tasks.run); a new kind of case is one more
module implementing this protocol, registered in engine.tasks.TASKS.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.errors import LesionLensError

if TYPE_CHECKING:
    from engine.case import Case
    from engine.evaluation import Scoring
    from engine.inference import LoadedModel
    from engine.types import CaseAnalysis, CasePrediction


class BatchRefused(LesionLensError):
    """The command line asks for something this kind of case cannot do (a --frame below 1,
    no input at all, a SEG of a multi-view study): the command stops with exit status 2
    before any case is read, after one line saying why."""


@dataclass(frozen=True)
class ModelRequest:
    """Which model to use: an explicit --model (a bundle folder) or None for the kind's
    default (engine.model_lookup), where it runs, at which precision and lesion-present
    operating point (images)."""

    model: Path | None = None
    device: str = "auto"
    precision: str = "auto"
    operating_point: str | None = None


@dataclass(frozen=True)
class AnalyseRequest(ModelRequest):
    """`lesionlens analyze`: where the results go and how each case is analysed."""

    out: Path = Path(".")
    tta: bool = True
    template: str = "auto"  # image descriptors (engine.analysis.chosen_template)
    frame: int = 1  # the analysed frame of a cine, counted from 1 as DICOM counts
    labels_nifti: bool = False  # volumes: also labels.nii.gz
    case: str | None = None  # one case of a views.csv data set

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AnalyseRequest:
        return cls(
            model=args.model,
            device=args.device,
            precision=getattr(args, "precision", "auto"),
            operating_point=getattr(args, "operating_point", None),
            out=args.out,
            tta=not getattr(args, "no_tta", False),
            template=getattr(args, "template", "auto"),
            frame=getattr(args, "frame", 1),
            labels_nifti=getattr(args, "labels_nifti", False),
            case=getattr(args, "case", None),
        )


@dataclass(frozen=True)
class ExportBatchRequest(ModelRequest):
    """`lesionlens export`, for every kind of case: which outputs, where, and for whom. Each
    task takes the outputs its kind has and refuses the others (BatchRefused): an image
    writes PDF, SEG, SR, key image, JSON and CSV; a study PDF, JSON and CSV; a volume SEG and
    JSON. None = not asked for (with nothing asked for, every output under default names)."""

    out: Path = Path(".")
    pdf: Path | None = None
    seg: Path | None = None
    sr: Path | None = None
    key_image: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    deidentify: bool = True
    reviewer: str = ""
    overwrite: bool = False
    frame: int = 1
    case: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ExportBatchRequest:
        return cls(
            model=args.model,
            device=args.device,
            operating_point=getattr(args, "operating_point", None),
            out=args.out,
            pdf=args.pdf,
            seg=args.seg,
            sr=args.sr,
            key_image=args.key_image,
            json=args.json,
            csv=args.csv,
            deidentify=args.deidentify,
            reviewer=args.reviewer,
            overwrite=getattr(args, "overwrite", False),
            frame=getattr(args, "frame", 1),
            case=getattr(args, "case", None),
        )

    def asked(self, *names: str) -> list[str]:
        """Which of these outputs were asked for, as option names ("key_image" ...)."""
        return [name for name in names if getattr(self, name) is not None]


@dataclass(frozen=True)
class EvaluateRequest(ModelRequest):
    """`lesionlens evaluate`: the labelled data set, and whether the image masks are kept
    for --plots."""

    data: Path = Path(".")
    keep_masks: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EvaluateRequest:
        return cls(
            model=args.model,
            device=args.device,
            precision=getattr(args, "precision", "auto"),
            operating_point=getattr(args, "operating_point", None),
            data=args.data,
            keep_masks=getattr(args, "plots", None) is not None,
        )


@dataclass(frozen=True)
class CaseInput:
    """One case of a batch as given: its path, its case in a views.csv data set (studies),
    and its output name when known before reading ("" = the case id, made unique)."""

    path: Path
    case: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Batch:
    """The cases of one analyze run: the inputs in order, how the last line counts them
    ("input(s)", "case(s)") and the one model of the batch when the kind has one (looked up
    before the first case, so a missing model stops the command instead of failing every
    case); None when each case picks its own (a study, by its views)."""

    inputs: Sequence[CaseInput]
    noun: str = "input(s)"
    model: LoadedModel | None = None


class Task(Protocol):
    """One kind of case for analyze, evaluate and export (see the module docstring)."""

    kind: str

    def analyse_batch(self, inputs: Sequence[Path], request: AnalyseRequest) -> Batch:
        """The cases `analyze` reads from its inputs; BatchRefused when it cannot start."""
        ...

    def failure_name(self, item: CaseInput) -> str:
        """How the batch names a case that failed (its file, its folder and case)."""
        ...

    def open(self, item: CaseInput, request: AnalyseRequest) -> Case:
        """Read one case (engine.case.open_case, as this kind)."""
        ...

    def find_model(self, case: Case, request: ModelRequest) -> LoadedModel:
        """The model for this case: --model, else the kind's default (engine.model_lookup)."""
        ...

    def predict(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> CasePrediction:
        """What the model says about the case, before any finding is derived."""
        ...

    def analyse(self, case: Case, model: LoadedModel, request: AnalyseRequest) -> CaseAnalysis:
        """The prediction and the findings that follow from it (the kind's own science)."""
        ...

    def write(
        self,
        case: Case,
        analysis: CaseAnalysis,
        model: LoadedModel,
        out: Path,
        request: AnalyseRequest,
    ) -> Path:
        """Write the case's record under `out` (findings.json and masks, volume.json, ...)."""
        ...

    def result_line(self, case: Case, analysis: CaseAnalysis, out: Path) -> str:
        """The case's line in the batch (after "[i/n] ")."""
        ...

    def export(self, inputs: Sequence[Path], request: ExportBatchRequest) -> int:
        """`lesionlens export` of the inputs: its exit status (0, or 1 when some cases could
        not be exported); BatchRefused for outputs this kind does not have."""
        ...

    def scoring(self, request: EvaluateRequest) -> Scoring:
        """The data set as the evaluate loop scores it (engine.evaluation.Scoring)."""
        ...
