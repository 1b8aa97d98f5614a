"""Active learning in the case list: which case would teach the model most if corrected next.

The score is engine.datastore's usefulness (how much the class probability moves under
test-time augmentation plus how unsure the segmentation is around the lesion; no lesion found
at all comes first). A list that is the datastore is ranked by
Datastore.most_useful_to_correct; a folder's files are scored from the score stored when the
same model analysed them, or predicted now. Corrected cases, volumes and images the model was
not made for get no score and sort last. Qt-free: the window runs the generator on its worker.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

from desktop.models.image.domain import domain_mismatch
from desktop.models.reading.case_list import CaseEntry
from desktop.models.reading.review_store import ReviewStore
from engine.datastore import CORRECTED, CaseRecord, Usefulness, usefulness_score
from engine.errors import LesionLensError
from engine.inference import LoadedModel
from engine.io import FrameSource, load_any
from engine.types import Volume

Scores = dict[Path, Usefulness | None]


def usefulness_steps(
    entries: Sequence[CaseEntry], store: ReviewStore, model: LoadedModel
) -> Generator[str, None, Scores]:
    """Yields progress text; returns the score of every entry (None: not to be ranked)."""
    yield f"Scoring {len(entries)} cases: most useful to correct next…"
    records = store.cases()
    case_ids = {e.path: store.case_id_for(e.path, records) for e in entries}
    if records and len(entries) == len(records) and all(case_ids.values()):
        ranked = {u.case_id: u for u in store.store.most_useful_to_correct(model)}
        return {path: ranked.get(str(case_id)) for path, case_id in case_ids.items()}
    by_id = {r.case_id: r for r in records}
    scores: Scores = {}
    for number, entry in enumerate(entries, start=1):
        record = by_id.get(str(case_ids[entry.path]))
        if record is not None and record.status == CORRECTED:
            scores[entry.path] = None
            continue
        stored = stored_usefulness(record, model) if record is not None else None
        if stored is None:
            yield f"Scoring case {number}/{len(entries)}: {entry.name}"
            stored = predicted_usefulness(entry, model)
        scores[entry.path] = stored
    return scores


def stored_usefulness(record: CaseRecord, model: LoadedModel) -> Usefulness | None:
    """The score saved with the AI mask, when this very model made it."""
    original = record.original
    if original is None or original.usefulness is None:
        return None
    if original.model_id != model.spec.model_id:
        return None
    extra = original.extra
    return Usefulness(
        record.case_id,
        float(original.usefulness),
        float(extra.get("spread") or 0.0),
        float(extra.get("entropy") or 0.0),
        bool(extra.get("no_lesion")),
        record.heldout,
        original.model_id,
    )


def predicted_usefulness(entry: CaseEntry, model: LoadedModel) -> Usefulness | None:
    """Predict the file now (the first frame of a cine); None for a volume, an image outside
    the model's domain, or a file that cannot be read (opening it will say why)."""
    try:
        content = load_any(entry.path)
    except LesionLensError:
        return None
    if isinstance(content, Volume):
        return None
    if isinstance(content, FrameSource):
        content = content.frame(0)
    if domain_mismatch(model, content) is not None:
        return None
    prediction = model.predict(content)
    score, entropy, no_lesion = usefulness_score(
        prediction.mask, prediction.uncertainty, prediction.spread
    )
    return Usefulness(
        entry.name, score, prediction.spread, entropy, no_lesion, model_id=model.spec.model_id
    )
