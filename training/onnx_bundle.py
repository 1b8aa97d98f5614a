"""Write a bundle for any network signature (several inputs, several outputs, any input
shape): export with training.network_export, check parity, swap the folder into place.

training.bundle_writer does the same for the single-image dual-task bundle (fixed input and
output names); this one takes the names and shapes from the caller.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.atomic import replace_folder_atomic, write_json_atomic
from engine.bundle import read_bundle
from training.bundle_writer import PARITY_TOLERANCE
from training.network_export import export_network, parity


def write_onnx_bundle(
    net: torch.nn.Module,
    out_dir: str | Path,
    spec: dict[str, Any],
    metrics: dict[str, Any],
    shapes: dict[str, tuple[int, ...]],
    output_names: tuple[str, ...],
) -> Path:
    """shapes: ONNX input name -> per-sample shape (C×H×W); output_names in forward order."""

    def fill(staging: Path) -> None:
        onnx_path = export_network(net, staging / "model.onnx", shapes, output_names)
        difference = parity(net, onnx_path, shapes, output_names)
        if difference > PARITY_TOLERANCE:
            raise RuntimeError(f"ONNX/torch parity {difference:.2e} exceeds {PARITY_TOLERANCE:.0e}")
        torch.save(net.state_dict(), staging / "weights.pt")  # read with weights_only=True
        write_json_atomic(staging / "model.json", spec)
        write_json_atomic(staging / "metrics.json", {**metrics, "onnx_parity_max_abs": difference})
        read_bundle(staging)  # the bundle must parse before it replaces anything

    return replace_folder_atomic(out_dir, fill)
