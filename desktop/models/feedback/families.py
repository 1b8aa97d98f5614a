"""Which model families the training panel offers, and each family's corrected cases.

The registry keeps one active model per family (engine.registry: the image model, the CT
volume model, a study model per set of views). The panel fine-tunes one family at a time,
and everything it says about "can we fine-tune?" must be about that family's cases: the 2D
corrections train the image model, the CT corrections the volume model, the confirmed
studies a study model. Qt-free.

A study family counts and requests only the studies of its own views (engine.jobs
datastore_readiness / datastore_request with the views): a bone-scan model never trains on
photo + ultrasound pairs.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from engine.datastore import CORRECTED, HELDOUT, TRAIN
from engine.jobs import datastore_readiness
from engine.registry import IMAGE, VOLUME, Registry, family_title, family_views, views_family


def family_label(family: str) -> str:
    """What the "Model to fine-tune" box shows: "Image model", "CT volume model", ..."""
    title = family_title(family)
    return title[0].upper() + title[1:]


def case_noun(family: str, count: int) -> str:
    """The family's cases in a sentence: "1 case", "2 CT volume cases" (without the number)."""
    if family == VOLUME:
        one, many = "CT volume case", "CT volume cases"
    elif family_views(family):
        one, many = "study", "studies"
    else:
        one, many = "case", "cases"
    return one if count == 1 else many


def family_cases(store: Any, family: str) -> Any:
    """The `cases(status=, split=)` of the datastore that feed this family."""
    if family == VOLUME:
        from engine.datastore.volumes import VolumeStore

        return VolumeStore(store).cases
    views = family_views(family)
    if views:
        from engine.datastore.studies import StudyStore

        return partial(StudyStore(store).studies, views=views)
    return store.cases


def corrected_counts(store: Any, family: str) -> tuple[int, int]:
    """(corrected training, corrected held-out) cases of the family."""
    cases = family_cases(store, family)
    return (
        len(cases(status=CORRECTED, split=TRAIN)),
        len(cases(status=CORRECTED, split=HELDOUT)),
    )


def family_readiness(store: Any, family: str) -> str | None:
    """engine.jobs.datastore_readiness for the family's cases (None: it can fine-tune)."""
    views = family_views(family)
    return datastore_readiness(
        store, volumes=family == VOLUME, studies=views is not None, views=views
    )


def offered_families(store: Any | None, registry: Registry) -> list[str]:
    """The image family always; the volume family once CT volume cases are stored, and the
    study family of each set of views stored studies have (or a family the registry has
    started), when there is a model to start from. A family with nothing to train on is not
    offered: choosing it could only say "no cases"."""
    offered = [IMAGE]
    started = registry.families(shipped=False)
    has_volumes = store is not None and bool(family_cases(store, VOLUME)())
    if (has_volumes or VOLUME in started) and registry.family_dir(VOLUME) is not None:
        offered.append(VOLUME)
    stored: set[str] = set()
    if store is not None:
        from engine.datastore.studies import StudyStore

        stored = {views_family(r.views) for r in StudyStore(store).studies() if r.views}
    wanted = stored | {f for f in started if family_views(f)}
    offered += [f for f in sorted(wanted) if registry.family_dir(f) is not None]
    return offered
