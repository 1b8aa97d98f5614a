"""Which shipped model answers which kind of case.

The registry (engine.registry) manages versions of the one 2D model that the feedback loop
fine-tunes; multi-view and volume models are shipped side by side in resources/models/ and
chosen by what the case is: a study's view names, or a volume.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.bundle import Bundle, default_bundle_dir, read_bundle
from engine.errors import BundleError


def models_root() -> Path:
    return default_bundle_dir().parent


def shipped_bundles(root: str | Path | None = None) -> list[Bundle]:
    """Every readable bundle under resources/models (a broken one is skipped, not fatal)."""
    root = Path(root) if root is not None else models_root()
    bundles = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            bundles.append(read_bundle(folder))
        except BundleError:
            continue
    return bundles


def bundle_for_views(view_names: Iterable[str], root: str | Path | None = None) -> Bundle | None:
    """The multi-input model whose inputs are exactly these views (order does not matter)."""
    wanted = set(view_names)
    for bundle in shipped_bundles(root):
        spec = bundle.spec
        if spec.task == "views" and {i.view for i in spec.inputs} == wanted:
            return bundle
    return None


def bundle_for_volume(root: str | Path | None = None) -> Bundle | None:
    """The first shipped volume (3D) model."""
    for bundle in shipped_bundles(root):
        if bundle.spec.task == "volume":
            return bundle
    return None
