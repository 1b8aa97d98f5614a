"""Method 5 of SCIENCE.md: attention-guided fusion of two modalities (clinical photo +
ultrasound of the same skin lesion), with a feature-reconstruction objective.

Each modality has its own convolutional encoder (photo and ultrasound statistics differ too
much to share filters). At several scales, local fusion runs attention over the tokens of
both modalities together: each token attends to the tokens of its own modality
(intra-modality correlation) and of the other (inter-modality correlation), with a learned
modality embedding so the two are told apart. Global fusion weighs the two modalities'
pooled descriptors with a gate computed from both. The head classifies from the fused
local (all scales) and global features.

Feature reconstruction (forward_train): from the fused representation, small decoders
rebuild each modality's own pooled features; the loss penalises what the fusion dropped,
which keeps discriminative features of both modalities and makes the model tolerate one
weak view (training.losses.feature_reconstruction_loss).

The global descriptors are attention-pooled (training.networks.two_view.AttentionPool), and
the weights are returned per modality as a map of where the model looked. A light decoder
with skips from the ultrasound encoder segments the lesion on the ultrasound view, so the
depth of the lesion can be measured; its loss also trains the ultrasound encoder to find
the lesion rather than the background.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from training.networks.hybrid_dual_task import ConvBlock
from training.networks.two_view import AttentionPool


class ModalityEncoder(nn.Module):
    """Three convolutional levels; features at 1/2, 1/4 and 1/8 resolution."""

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        w = width
        self.stem = ConvBlock(in_channels, w)
        self.level1 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(w, 2 * w))
        self.level2 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(2 * w, 4 * w))
        self.level3 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(4 * w, 8 * w))
        self.channels = (2 * w, 4 * w, 8 * w)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        s1 = self.level1(self.stem(x))
        s2 = self.level2(s1)
        return [s1, s2, self.level3(s2)]


class LocalFusion(nn.Module):
    """Joint attention over both modalities' tokens on a `grid`×`grid` pooled map."""

    def __init__(self, channels: int, grid: int = 8, heads: int = 4) -> None:
        super().__init__()
        self.grid = grid
        self.modality = nn.Parameter(torch.zeros(2, channels))
        self.norm = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        self.out_norm = nn.LayerNorm(channels)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ta = F.adaptive_avg_pool2d(a, self.grid).flatten(2).transpose(1, 2) + self.modality[0]
        tb = F.adaptive_avg_pool2d(b, self.grid).flatten(2).transpose(1, 2) + self.modality[1]
        tokens = torch.cat([ta, tb], dim=1)
        q = self.norm(tokens)
        fused = self.out_norm(tokens + self.attn(q, q, q, need_weights=False)[0])
        k = ta.shape[1]
        # Pooled fused descriptors of each modality's tokens (mean over its positions).
        return fused[:, :k].mean(dim=1), fused[:, k:].mean(dim=1)


class GlobalFusion(nn.Module):
    """A gate from both global descriptors decides, per channel, how much of each to keep."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.Linear(2 * channels, channels), nn.GELU(), nn.Linear(channels, 2 * channels)
        )

    def forward(self, ga: torch.Tensor, gb: torch.Tensor) -> torch.Tensor:
        weights = self.gate(torch.cat([ga, gb], dim=1)).view(-1, 2, ga.shape[1]).softmax(dim=1)
        return weights[:, 0] * ga + weights[:, 1] * gb


class LesionDecoder(nn.Module):
    """1/8 -> full resolution with the encoder's 1/4 and 1/2 features as skips; one logit map."""

    def __init__(self, channels: tuple[int, int, int]) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.block2 = ConvBlock(c3 + c2, c2)
        self.block1 = ConvBlock(c2 + c1, c1)
        self.out = nn.Conv2d(c1, 1, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        s1, s2, s3 = features
        x = self.block2(torch.cat([self.up(s3), s2], dim=1))
        x = self.block1(torch.cat([self.up(x), s1], dim=1))
        return self.up(self.out(x))


class AttentionFusionNet(nn.Module):
    """forward(photo, ultrasound) -> (class logits N×C, ultrasound lesion logits N×1×H×W,
    photo attention N×1×H/8×W/8, ultrasound attention); forward_train returns them by name
    with the reconstructions and their targets for the feature-reconstruction loss."""

    task_heads = ("head", "us_decoder")
    encoder_levels = (
        "photo_encoder.stem",
        "us_encoder.stem",
        "photo_encoder.level1",
        "us_encoder.level1",
        "photo_encoder.level2",
        "us_encoder.level2",
        "photo_encoder.level3",
        "us_encoder.level3",
    )
    views = ("photo", "us")

    def __init__(
        self,
        photo_channels: int = 3,
        us_channels: int = 1,
        num_classes: int = 2,
        width: int = 16,
        grid: int = 8,
    ) -> None:
        super().__init__()
        self.photo_encoder = ModalityEncoder(photo_channels, width)
        self.us_encoder = ModalityEncoder(us_channels, width)
        chans = self.photo_encoder.channels
        self.local = nn.ModuleList(LocalFusion(c, grid) for c in chans)
        self.photo_pool = AttentionPool(chans[-1])
        self.us_pool = AttentionPool(chans[-1])
        self.global_fusion = GlobalFusion(chans[-1])
        self.us_decoder = LesionDecoder(chans)
        fused_dim = 2 * sum(chans) + chans[-1]
        self.head = nn.Sequential(
            nn.Linear(fused_dim, 64), nn.GELU(), nn.Dropout(0.2), nn.Linear(64, num_classes)
        )
        # Rebuild each modality's own multi-scale descriptor from the fused vector.
        self.reconstruct_photo = nn.Linear(fused_dim, sum(chans))
        self.reconstruct_us = nn.Linear(fused_dim, sum(chans))

    def _fused(self, photo: torch.Tensor, us: torch.Tensor) -> dict[str, torch.Tensor]:
        fa, fb = self.photo_encoder(photo), self.us_encoder(us)
        local = []
        for fusion, a, b in zip(self.local, fa, fb, strict=True):
            la, lb = fusion(a, b)
            local += [la, lb]
        ga, attention_photo, scores_photo = self.photo_pool(fa[-1])
        gb, attention_us, scores_us = self.us_pool(fb[-1])
        return {
            "fused": torch.cat([*local, self.global_fusion(ga, gb)], dim=1),
            "own_photo": torch.cat([f.mean(dim=(2, 3)) for f in fa], dim=1),
            "own_us": torch.cat([f.mean(dim=(2, 3)) for f in fb], dim=1),
            "segmentation": self.us_decoder(fb),
            "attention_photo": attention_photo,
            "attention_us": attention_us,
            "attention_scores": [scores_photo, scores_us],
        }

    def forward(
        self, photo: torch.Tensor, us: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        parts = self._fused(photo, us)
        return (
            self.head(parts["fused"]),
            parts["segmentation"],
            parts["attention_photo"],
            parts["attention_us"],
        )

    def forward_train(self, photo: torch.Tensor, us: torch.Tensor) -> dict[str, torch.Tensor]:
        parts = self._fused(photo, us)
        fused = parts["fused"]
        return {
            "logits": self.head(fused),
            "segmentation": parts["segmentation"],
            "reconstructed": torch.cat(
                [self.reconstruct_photo(fused), self.reconstruct_us(fused)], dim=1
            ),
            "features": torch.cat([parts["own_photo"], parts["own_us"]], dim=1),
            "attention_scores": parts["attention_scores"],
        }
