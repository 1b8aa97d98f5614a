"""Networks by name, so a bundle's `architecture` field can rebuild the right one."""

from __future__ import annotations

from collections.abc import Callable

import torch.nn as nn

from training.networks.hybrid_dual_task import HybridDualTaskNet

REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "hybrid-dual-task": HybridDualTaskNet,
}


def build_network(name: str, **kwargs) -> nn.Module:  # noqa: ANN003
    if name not in REGISTRY:
        raise KeyError(f"unknown network {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**kwargs)
