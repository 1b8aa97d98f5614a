"""One Task per kind of case (engine.tasks.protocol), keyed by kind: `lesionlens analyze`,
`evaluate` and `export` look the task up here instead of branching on the kind themselves.

Adding a kind of case is one module implementing the Task protocol, registered in TASKS (and,
in the GUI, one page).
"""

from __future__ import annotations

from engine.case import IMAGE, STUDY, VOLUME, Case
from engine.tasks.image import ImageTask
from engine.tasks.protocol import (
    AnalyseRequest,
    Batch,
    BatchRefused,
    CaseInput,
    EvaluateRequest,
    ExportBatchRequest,
    ModelRequest,
    Task,
)
from engine.tasks.run import analyse_cases
from engine.tasks.views import ViewsTask
from engine.tasks.volume import VolumeTask

TASKS: dict[str, Task] = {IMAGE: ImageTask(), STUDY: ViewsTask(), VOLUME: VolumeTask()}

__all__ = [
    "TASKS",
    "AnalyseRequest",
    "Batch",
    "BatchRefused",
    "CaseInput",
    "EvaluateRequest",
    "ExportBatchRequest",
    "ModelRequest",
    "Task",
    "analyse_cases",
    "task_for",
    "task_for_kind",
]


def task_for_kind(kind: str) -> Task:
    """The task of IMAGE, STUDY or VOLUME; ValueError naming the kinds for anything else."""
    try:
        return TASKS[kind]
    except KeyError:
        raise ValueError(f"no task reads a {kind!r} case (one of {', '.join(TASKS)})") from None


def task_for(case: Case) -> Task:
    """The task that reads this case (engine.case.open_case gave it its kind)."""
    return task_for_kind(case.kind)
