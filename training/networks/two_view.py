"""Method 2 of SCIENCE.md: one case, two views (anterior and posterior bone scan), one call.

The same backbone (shared weights) reads each view; its pooled features are aggregated
across the views by an order-free mean and max (a lesion seen in one view only still
counts) plus each view's own features (the views are not interchangeable: the spine is
nearer the posterior camera), and one head classifies the patient. The backbone has the
hybrid net's encoder layout, so weights pretrained on another domain load by name.

Each view's deepest features are pooled by spatial attention (a 1x1 conv scores every
position, a softmax over positions weighs them) next to max pooling. The attention weights
are returned per view: they are the evidence the head was given, so a reader can see where
the model looked on the anterior and on the posterior image.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from training.networks.hybrid_dual_task import Encoder


class AttentionPool(nn.Module):
    """Softmax-over-positions pooling: returns pooled N×C, weights N×1×h×w (summing to 1)
    and the raw position scores N×1×h×w (training can supervise them with lesion masks)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.score = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, c, h, w = x.shape
        scores = self.score(x)
        weights = scores.flatten(2).softmax(dim=2)  # N×1×(h·w)
        pooled = (x.flatten(2) * weights).sum(dim=2)
        return pooled, weights.view(n, 1, h, w), scores


class TwoViewClassifier(nn.Module):
    """forward(view_a N×1×H×W, view_b N×1×H×W) -> (class logits N×C, attention of view a
    N×1×H/8×W/8, attention of view b)."""

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
        self.pool = AttentionPool(c)
        per_view = 2 * c  # attention- and max-pooled deepest features
        # + each view's strongest attention score: "is there a lesion anywhere in this view"
        # (multiple-instance style), which training can sharpen with lesion masks.
        self.head = nn.Sequential(
            nn.Linear(4 * per_view + 2, 64),
            nn.GELU(),
            nn.Dropout(0.2),
            nn.Linear(64, num_classes),
        )

    def view_features(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        deepest = self.encoder(x)[-1]
        pooled, weights, scores = self.pool(deepest)
        return torch.cat([pooled, deepest.amax(dim=(2, 3))], dim=1), weights, scores

    def forward(
        self, view_a: torch.Tensor, view_b: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.forward_train(view_a, view_b)
        n = view_a.shape[0]
        return out["logits"], out["attention"][:n], out["attention"][n:]

    def forward_train(self, view_a: torch.Tensor, view_b: torch.Tensor) -> dict:
        """logits, attention weights and scores of both views (view a's first, then b's)."""
        n = view_a.shape[0]
        both, weights, scores = self.view_features(torch.cat([view_a, view_b], dim=0))
        fa, fb = both[:n], both[n:]  # one shared backbone pass for both views
        stacked = torch.stack([fa, fb], dim=1)
        strongest = scores.amax(dim=(1, 2, 3))
        aggregated = torch.cat(
            [
                stacked.mean(dim=1),
                stacked.amax(dim=1),
                fa,
                fb,
                strongest[:n, None],
                strongest[n:, None],
            ],
            dim=1,
        )
        return {
            "logits": self.head(aggregated),
            "attention": weights,
            "attention_scores": [scores[:n], scores[n:]],
        }
