"""Which shipped model answers which kind of case.

Multi-view and volume models are shipped side by side in resources/models/ and chosen by
what the case is: a study's view names, or a volume. These are the built-ins of the
registry's model families (engine.registry): what reads a case is the family's active model
(engine.model_lookup.default_model_dir), the shipped one until a fine-tune is promoted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.bundle import Bundle, default_bundle_dir, read_bundle
from engine.errors import BundleError


def models_root() -> Path:
    return default_bundle_dir().parent


def shipped_bundles(root: str | Path | None = None) -> list[Bundle]:
    """Every readable bundle under resources/models (a broken one is skipped, not fatal).
    The interactive bundle has no model.onnx (engine.interactive reads it) and is skipped."""
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


def resolve_model_dir(name_or_path: str | Path | None) -> Path | None:
    """--model takes a bundle folder, or the folder name of a shipped bundle ("breast-us",
    "default"); None stays None (the caller's default). BundleError names what exists."""
    if name_or_path is None:
        return None
    path = Path(name_or_path)
    if path.is_dir():
        return path
    shipped = models_root() / str(name_or_path)
    if path.parent == Path(".") and shipped.is_dir():
        return shipped
    names = ", ".join(b.directory.name for b in shipped_bundles())
    raise BundleError(path, f"folder not found, and no shipped model has that name ({names})")


def image_bundles(root: str | Path | None = None) -> list[Bundle]:
    """The shipped single-image models (task "image"): the ones a 2D image can be read by."""
    return [b for b in shipped_bundles(root) if b.spec.task == "image"]
