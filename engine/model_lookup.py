"""Which model reads a case: one lookup for every kind, used by analyze, evaluate and export.

1. An explicit --model (a bundle folder or a shipped bundle's name) wins; it must take this
   kind of case.
2. Otherwise, per kind, the registry's active model of the kind's family (engine.registry):
   an image by the image family's (the site's promoted fine-tune, else the shipped default);
   a multi-view study by the family of exactly its views (a promoted study model, else the
   shipped bundle whose inputs are those views); a volume by the volume family's (a promoted
   CT fine-tune, else the shipped volume bundle).

It used to be three functions with three rules (the CLI read images with the shipped default
even when the GUI used a promoted model).

The per-kind default stays here rather than in each engine.tasks Task: every task module
imports this one (engine.tasks.image, and engine.study.commands under engine.tasks.views),
so this module asking engine.tasks would be an import cycle (importing engine.tasks first
fails with "partially initialized module"); the tasks are the layer above, they call down.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine import inference
from engine.bundle import Bundle, read_bundle
from engine.case_kind import IMAGE, STUDY, VOLUME
from engine.errors import BundleError, LoadError
from engine.inference import LoadedModel
from engine.model_catalog import models_root, resolve_model_dir

TASK_OF_KIND = {IMAGE: "image", STUDY: "views", VOLUME: "volume"}
_WHAT_IT_TAKES = {"image": "single images", "views": "multi-view studies", "volume": "volumes"}


def find_model(
    kind: str,
    explicit: str | Path | None = None,
    *,
    views: Iterable[str] = (),
    device: str = "auto",
    precision: str = "auto",
    source: str | Path = "",
    home: str | Path | None = None,
) -> LoadedModel:
    """The model for a case of `kind` (IMAGE, STUDY, VOLUME). views: a study's view names;
    source: what to name in the error when no shipped model fits; home: the data root whose
    registry picks the model of each family (default: LESIONLENS_HOME); precision:
    engine.inference's (auto runs a bundle's gated int8 model on the CPU)."""
    if kind not in TASK_OF_KIND:
        raise ValueError(f"unknown kind of case {kind!r}")
    if explicit is not None:
        model = inference.cached_model(resolve_model_dir(explicit), device, precision)
        task, wanted = model.spec.task, TASK_OF_KIND[kind]
        if task != wanted:
            takes = _WHAT_IT_TAKES.get(task, task)
            raise BundleError(
                model.bundle.directory, f"this model takes {takes}, not {_WHAT_IT_TAKES[wanted]}"
            )
        return model
    return inference.cached_model(_default_dir(kind, tuple(views), source, home), device, precision)


def default_model_dir(
    kind: str, views: Iterable[str] = (), home: str | Path | None = None
) -> Path | None:
    """The registry's active model folder for a case of `kind` (None: no model, shipped or
    promoted, takes it). The GUI's pages ask this too, so they run what the CLI runs."""
    from engine import registry

    if kind not in TASK_OF_KIND:
        raise ValueError(f"unknown kind of case {kind!r}")
    if kind == STUDY:
        views = tuple(views)
        if not views:
            return None
        family = registry.views_family(views)
    else:
        family = registry.IMAGE if kind == IMAGE else registry.VOLUME
    return registry.Registry(home).family_dir(family)


def default_bundle(
    kind: str, views: Iterable[str] = (), home: str | Path | None = None
) -> Bundle | None:
    """default_model_dir's bundle, read (its spec and card, without loading the network)."""
    found = default_model_dir(kind, views, home)
    return read_bundle(found) if found is not None else None


def _default_dir(kind: str, views: tuple[str, ...], source: str | Path, home) -> Path:  # noqa: ANN001
    found = default_model_dir(kind, views, home)
    if found is not None:
        return found
    if kind == STUDY:
        raise LoadError(
            source or ", ".join(views),
            f"no shipped model takes the views {', '.join(views)}; pass --model",
        )
    raise BundleError(models_root(), "no volume model is installed")
