"""The one model.json builder and the one bundle writer, for every task (image, views, volume).

write_bundle exports model.onnx, checks its parity with torch and writes weights.pt,
model.json (card included), metrics.json and any further JSON files (scope.json) in a
staging directory that is swapped into place, so a reader sees either the old bundle or the
new one, never a mixture. add_metrics then adds scores measured on the finished bundle to
its metrics.json, without exporting again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from engine.atomic import replace_folder_atomic, write_json_atomic
from engine.bundle import SCHEMA_VERSION, read_bundle
from training.export import INPUT_NAME, OUTPUT_NAMES, export_onnx, onnx_parity, output_names

PARITY_TOLERANCE = 1e-4
PERCENTILE = {"mode": "percentile", "low_percentile": 0.5, "high_percentile": 99.5}


def image_input(
    name: str,
    size: int,
    channels: int,
    normalisation: dict[str, Any] = PERCENTILE,
    *,
    shape: tuple[int, int] | None = None,
    view: str | None = None,
) -> dict[str, Any]:
    """One letterboxed 2D input of model.json; `view` and `shape` (H×W, when not square)
    for a view of a study."""
    return {
        "name": name,
        **({"view": view} if view is not None else {}),
        "size": size,
        **({"shape": list(shape)} if shape is not None else {}),
        "channels": channels,
        "resize": "letterbox",
        "normalisation": dict(normalisation),
    }


def model_json(
    *,
    model_id: str,
    architecture: str,
    classes: Iterable[str],
    temperature: float,
    network_kwargs: dict[str, Any],
    card: dict[str, Any],
    task: str = "image",
    size: int | None = None,
    inputs: list[dict[str, Any]] | None = None,
    outputs: tuple[str, ...] = OUTPUT_NAMES,
    views: Iterable[str] = ("us",),
    parent: str | None = None,
    training_data_hash: str = "",
    **task_fields: Any,
) -> dict[str, Any]:
    """model.json of any task.

    inputs: the input entries (default: one image_input named "image" of `size` px with the
    network's in_channels); outputs: the network's ONNX output names in forward order, each
    also its role (segmentation, classification[, presence, features, attention_*]).
    2D tasks ("image", "views") also carry the mask threshold, minimum lesion area, view
    names and provenance (parent model, training-data hash, created); a volume bundle's
    decisions live in its own fields. task_fields: the task's own entries (a volume's
    "volume", "radiomics", "training").
    """
    if inputs is None:
        if size is None:
            raise ValueError("model_json needs `inputs` or the image `size`")
        inputs = [image_input(INPUT_NAME, size, int(network_kwargs.get("in_channels", 1)))]
    spec: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "model_id": model_id,
        "version": "1",
        "architecture": architecture,
        "network_kwargs": network_kwargs,
        **({"task": task} if task != "image" else {}),  # "image" is the engine's default
        "inputs": inputs,
        "outputs": {name: name for name in outputs},
        "classes": list(classes),
        "temperature": temperature,
    }
    if task in ("image", "views"):
        spec.update(
            threshold=0.5,
            min_lesion_area_px=20,
            views=list(views),
            parent_model_id=parent,
            training_data_hash=training_data_hash,
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
    return {**spec, **task_fields, "card": card}


def input_shapes_of(spec: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The per-sample ONNX input shapes model.json declares: a volume's patch, a view's
    H×W shape, else a square image of `size`."""
    patch = spec.get("volume", {}).get("patch")
    return {
        i["name"]: (int(i["channels"]), *(patch or i.get("shape") or (i["size"], i["size"])))
        for i in spec["inputs"]
    }


def write_bundle(
    net: torch.nn.Module,
    out_dir: str | Path,
    spec: dict[str, Any],
    metrics: dict[str, Any],
    extra_json: dict[str, Any] | None = None,
    tolerance: float = PARITY_TOLERANCE,
) -> Path:
    """Export, check ONNX/torch parity (absolute or relative within `tolerance`), then swap
    the finished folder into place.
    extra_json: more JSON files of the bundle by name (e.g. {"scope.json": {...}})."""
    shapes = input_shapes_of(spec)
    outputs = output_names(net, default=tuple(spec["outputs"].values()))

    def fill(staging: Path) -> None:
        export_onnx(net, staging / "model.onnx", shapes, outputs)
        parity = onnx_parity(net, staging / "model.onnx", shapes, outputs)
        if parity.max_abs > tolerance and parity.max_rel > tolerance:
            raise RuntimeError(
                f"ONNX/torch parity {parity.max_abs:.2e} ({parity.max_rel:.2e} of the output "
                f"scale) exceeds {tolerance:.0e}"
            )
        # The torch weights travel with the bundle so fine-tuning can start from it; they are
        # read back with torch.load(weights_only=True) only.
        torch.save(net.state_dict(), staging / "weights.pt")
        for name, content in (extra_json or {}).items():
            write_json_atomic(staging / name, content)
        write_json_atomic(staging / "model.json", spec)
        write_json_atomic(
            staging / "metrics.json",
            {
                **metrics,
                "onnx_parity_max_abs": parity.max_abs,
                "onnx_parity_max_rel": parity.max_rel,
            },
        )
        read_bundle(staging)  # the bundle must parse before it replaces anything

    return replace_folder_atomic(out_dir, fill)


def add_metrics(bundle_dir: str | Path, more: dict[str, Any]) -> None:
    """Merge scores measured on the written bundle (through the engine) into its
    metrics.json, atomically."""
    path = Path(bundle_dir) / "metrics.json"
    write_json_atomic(path, {**json.loads(path.read_text(encoding="utf-8")), **more})


def hash_cases(cases: list[str], labels: list[int]) -> str:
    digest = hashlib.sha256()
    for case, label in zip(cases, labels, strict=True):
        digest.update(f"{case}:{label}\n".encode())
    return digest.hexdigest()[:16]
