"""The one analyse loop of `lesionlens analyze`, for every kind of case.

Each kind used to carry its own step (read, pick the model, analyse, write, say what was
found) inside its own batch function; here the step is written once over the Task protocol
and engine.batch.run_cases keeps the progress, the one line per failed case and the exit
status.
"""

from __future__ import annotations

from engine.batch import run_cases
from engine.tasks.protocol import AnalyseRequest, Batch, CaseInput, Task


def analyse_cases(task: Task, batch: Batch, request: AnalyseRequest) -> int:
    """Analyse every case of the batch: DIR/<name>/ with what the task writes. Returns the
    exit status: 0, or 1 when some cases could not be analysed (each says why)."""
    used: set[str] = set()

    def step(item: CaseInput) -> str:
        case = task.open(item, request)
        model = batch.model if batch.model is not None else task.find_model(case, request)
        analysis = task.analyse(case, model, request)
        out = request.out / (item.name or unique_name(case.case_id, used))
        task.write(case, analysis, model, out, request)
        return task.result_line(case, analysis, out)

    return run_cases(list(batch.inputs), step, task.failure_name, "analysing", noun=batch.noun)


def unique_name(name: str, used: set[str]) -> str:
    """`name`, or name_2, name_3, ... when an earlier case of the batch took it."""
    candidate, k = name, 2
    while candidate in used:
        candidate, k = f"{name}_{k}", k + 1
    used.add(candidate)
    return candidate
