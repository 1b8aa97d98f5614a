"""Networks by name, so a bundle's `architecture` field can rebuild the right one."""

from __future__ import annotations

from collections.abc import Callable

import torch.nn as nn

from training.networks.cascaded_unet import CascadedUNet
from training.networks.fusion_attention import AttentionFusionNet
from training.networks.hybrid_dual_task import HybridDualTaskNet
from training.networks.plain_unet import PlainUNet
from training.networks.two_view import TwoViewClassifier
from training.networks.unet3d import UNet3D

REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "hybrid-dual-task": HybridDualTaskNet,  # (a) method 1: CNN + attention, two task heads
    "cascaded-unet": CascadedUNet,  # (b) method 4: segment, then classify the lesion crop
    "two-view": TwoViewClassifier,  # (c) method 2: shared backbone per view, aggregation
    "fusion-attention": AttentionFusionNet,  # (d) method 5: photo + ultrasound fusion
    "unet3d": UNet3D,  # (e) method 3: kidney and tumour in CT volumes
    "plain-unet": PlainUNet,  # the from-scratch baseline a site would train itself
}


def build_network(name: str, **kwargs) -> nn.Module:  # noqa: ANN003
    if name not in REGISTRY:
        raise KeyError(f"unknown network {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**kwargs)
