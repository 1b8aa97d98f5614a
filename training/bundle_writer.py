"""Write a model bundle (model.onnx + model.json + metrics.json + weights.pt) atomically.

The whole folder is built in a staging directory and swapped into place, so a reader sees
either the old bundle or the new one, never a mixture.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import torch

from engine.atomic import replace_folder_atomic, write_json_atomic
from engine.bundle import SCHEMA_VERSION, read_bundle
from training.export import INPUT_NAME, OUTPUT_NAMES, export_onnx, onnx_parity

PARITY_TOLERANCE = 1e-4


def model_json(
    *,
    model_id: str,
    architecture: str,
    size: int,
    classes: tuple[str, ...],
    temperature: float,
    network_kwargs: dict[str, Any],
    card: dict[str, Any],
    parent: str | None = None,
    training_data_hash: str = "",
    outputs: tuple[str, ...] = OUTPUT_NAMES,
) -> dict[str, Any]:
    """model.json of a single-image bundle; `outputs` are the network's ONNX output names,
    each also its role (segmentation, classification[, presence, features])."""
    return {
        "schema_version": SCHEMA_VERSION,
        "model_id": model_id,
        "version": "1",
        "architecture": architecture,
        "network_kwargs": network_kwargs,
        "inputs": [
            {
                "name": INPUT_NAME,
                "size": size,
                "channels": int(network_kwargs.get("in_channels", 1)),
                "resize": "letterbox",
                "normalisation": {
                    "mode": "percentile",
                    "low_percentile": 0.5,
                    "high_percentile": 99.5,
                },
            }
        ],
        "outputs": {name: name for name in outputs},
        "classes": list(classes),
        "threshold": 0.5,
        "temperature": temperature,
        "min_lesion_area_px": 20,
        "views": ["us"],
        "parent_model_id": parent,
        "training_data_hash": training_data_hash,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "card": card,
    }


def write_bundle(
    net: torch.nn.Module,
    out_dir: str | Path,
    spec: dict[str, Any],
    metrics: dict[str, Any],
    extra_json: dict[str, Any] | None = None,
) -> Path:
    """Export, check ONNX/torch parity, then swap the finished folder into place.
    extra_json: more JSON files of the bundle by name (e.g. {"scope.json": {...}})."""
    size = int(spec["inputs"][0]["size"])
    channels = int(spec["inputs"][0]["channels"])

    def fill(staging: Path) -> None:
        export_onnx(net, staging / "model.onnx", size, channels)
        parity = onnx_parity(net, staging / "model.onnx", size, channels)
        relative = onnx_parity(net, staging / "model.onnx", size, channels, relative=True)
        if parity > PARITY_TOLERANCE and relative > PARITY_TOLERANCE:
            raise RuntimeError(
                f"ONNX/torch parity {parity:.2e} ({relative:.2e} of the output scale) "
                f"exceeds {PARITY_TOLERANCE:.0e}"
            )
        # The torch weights travel with the bundle so fine-tuning can start from it; they are
        # read back with torch.load(weights_only=True) only.
        torch.save(net.state_dict(), staging / "weights.pt")
        for name, content in (extra_json or {}).items():
            write_json_atomic(staging / name, content)
        write_json_atomic(staging / "model.json", spec)
        write_json_atomic(
            staging / "metrics.json",
            {**metrics, "onnx_parity_max_abs": parity, "onnx_parity_max_rel": relative},
        )
        read_bundle(staging)  # the bundle must parse before it replaces anything

    return replace_folder_atomic(out_dir, fill)


def hash_cases(cases: list[str], labels: list[int]) -> str:
    digest = hashlib.sha256()
    for case, label in zip(cases, labels, strict=True):
        digest.update(f"{case}:{label}\n".encode())
    return digest.hexdigest()[:16]
