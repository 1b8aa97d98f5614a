"""Rebuild a torch network from a bundle (model.json + weights.pt), for fine-tuning and benches."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.bundle import read_bundle
from engine.errors import BundleError
from training.networks import build_network


def network_from_bundle(bundle_dir: str | Path | None = None) -> torch.nn.Module:
    bundle = read_bundle(bundle_dir)
    weights = bundle.directory / "weights.pt"
    if not weights.is_file():
        raise BundleError(bundle.directory, "weights.pt is missing (needed to fine-tune)")
    kwargs = dict(bundle.spec.raw.get("network_kwargs", {}))
    net = build_network(bundle.spec.architecture, **kwargs)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.eval()
