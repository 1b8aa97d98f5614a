"""Which model reads a case: one lookup for every kind, used by analyze, evaluate and export.

1. An explicit --model (a bundle folder or a shipped bundle's name) wins; it must take this
   kind of case.
2. Otherwise, per kind: an image is read by the registry's active model (the site's promoted
   fine-tune, else the shipped default); a multi-view study by the shipped bundle whose inputs
   are exactly its views; a volume by the shipped volume bundle.

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
from engine.case_kind import IMAGE, STUDY, VOLUME
from engine.errors import BundleError, LoadError
from engine.inference import LoadedModel
from engine.model_catalog import bundle_for_views, bundle_for_volume, models_root, resolve_model_dir

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
    registry picks the image model (default: LESIONLENS_HOME); precision: engine.inference's
    (auto runs a bundle's gated int8 model on the CPU)."""
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


def _default_dir(kind: str, views: tuple[str, ...], source: str | Path, home) -> Path:  # noqa: ANN001
    if kind == IMAGE:
        from engine.registry import Registry

        return Registry(home).active_dir()
    if kind == STUDY:
        bundle = bundle_for_views(views)
        if bundle is None:
            raise LoadError(
                source or ", ".join(views),
                f"no shipped model takes the views {', '.join(views)}; pass --model",
            )
        return bundle.directory
    bundle = bundle_for_volume()
    if bundle is None:
        raise BundleError(models_root(), "no volume model is installed")
    return bundle.directory
