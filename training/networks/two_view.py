"""Method 2 of SCIENCE.md: one case, two views (anterior and posterior bone scan), one call.

The same backbone (shared weights) reads each view; its pooled features are aggregated
across the views by an order-free mean and max (a lesion seen in one view only still
counts) plus each view's own features (the views are not interchangeable: the spine is
nearer the posterior camera), and one head classifies the patient. The backbone has the
hybrid net's encoder layout, so weights pretrained on another domain load by name.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from training.networks.hybrid_dual_task import Encoder


class TwoViewClassifier(nn.Module):
    """forward(view_a N×1×H×W, view_b N×1×H×W) -> class logits N×C."""

    task_heads = ("head",)
    encoder_levels = (
        "encoder.stem",
        "encoder.level1",
        "encoder.level2",
        "encoder.level3",
        "encoder.attention",
    )
    views = ("anterior", "posterior")

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        width: int = 16,
        attention_blocks: int = 1,
    ) -> None:
        super().__init__()
        self.encoder = Encoder(in_channels, width, attention_blocks)
        c = self.encoder.channels[-1]
        per_view = 2 * c  # mean- and max-pooled deepest features
        self.head = nn.Sequential(
            nn.Linear(4 * per_view, 64), nn.GELU(), nn.Dropout(0.2), nn.Linear(64, num_classes)
        )

    def view_features(self, x: torch.Tensor) -> torch.Tensor:
        deepest = self.encoder(x)[-1]
        return torch.cat([deepest.mean(dim=(2, 3)), deepest.amax(dim=(2, 3))], dim=1)

    def forward(self, view_a: torch.Tensor, view_b: torch.Tensor) -> torch.Tensor:
        n = view_a.shape[0]
        both = self.view_features(torch.cat([view_a, view_b], dim=0))  # one shared pass
        fa, fb = both[:n], both[n:]
        stacked = torch.stack([fa, fb], dim=1)
        aggregated = torch.cat([stacked.mean(dim=1), stacked.amax(dim=1), fa, fb], dim=1)
        return self.head(aggregated)
