"""Method 4 of SCIENCE.md: a cascade — segment first, then classify the lesion region.

Stage 1 is a convolutional U-Net (the hybrid net's encoder without attention, same layer
names, so a pretrained lesion segmenter or the hybrid model's encoder/decoder loads into it
by name). Stage 2 crops the lesion from the image: a square window around the centroid of
the predicted lesion probability, sized from its spread, resampled to a fixed size by
grid_sample (differentiable, and static shapes for ONNX), and classifies the crop from the
image and the mask together. The classifier thus sees the lesion at a constant scale,
whatever its size in the frame.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from training.networks.hybrid_dual_task import ConvBlock, Encoder, UpBlock


class LesionCrop(nn.Module):
    """Resample a window around the lesion (centroid ± `margin` × its standard deviation)."""

    def __init__(self, size: int = 48, margin: float = 2.5, min_half: float = 0.15) -> None:
        super().__init__()
        self.size, self.margin, self.min_half = size, margin, min_half

    def forward(self, image: torch.Tensor, prob: torch.Tensor) -> torch.Tensor:
        n, _, h, w = prob.shape
        ys = torch.linspace(-1.0, 1.0, h, device=prob.device, dtype=prob.dtype).view(1, 1, h, 1)
        xs = torch.linspace(-1.0, 1.0, w, device=prob.device, dtype=prob.dtype).view(1, 1, 1, w)
        mass = prob.sum(dim=(1, 2, 3)) + 1e-3
        cy = (prob * ys).sum(dim=(1, 2, 3)) / mass
        cx = (prob * xs).sum(dim=(1, 2, 3)) / mass
        var_y = (prob * (ys - cy.view(n, 1, 1, 1)) ** 2).sum(dim=(1, 2, 3)) / mass
        var_x = (prob * (xs - cx.view(n, 1, 1, 1)) ** 2).sum(dim=(1, 2, 3)) / mass
        half = (self.margin * torch.sqrt(torch.maximum(var_x, var_y) + 1e-6)).clamp(
            self.min_half, 1.0
        )
        zero = torch.zeros_like(half)
        theta = torch.stack(
            [torch.stack([half, zero, cx], dim=1), torch.stack([zero, half, cy], dim=1)], dim=1
        )
        grid = F.affine_grid(theta, [n, 1, self.size, self.size], align_corners=False)
        both = torch.cat([image, prob], dim=1)
        return F.grid_sample(both, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class CascadedUNet(nn.Module):
    """Returns (segmentation logits N×1×H×W, class logits N×C)."""

    task_heads = ("classifier",)
    encoder_levels = ("encoder.stem", "encoder.level1", "encoder.level2", "encoder.level3")

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        width: int = 16,
        crop_size: int = 48,
        classifier_width: int = 16,
    ) -> None:
        super().__init__()
        self.encoder = Encoder(in_channels, width, attention_blocks=0)
        c0, c1, c2, c3 = self.encoder.channels
        self.decoder3 = UpBlock(c3, c2, c2)
        self.decoder2 = UpBlock(c2, c1, c1)
        self.decoder1 = UpBlock(c1, c0, c0)
        self.seg_head = nn.Conv2d(c0, 1, 1)
        self.crop = LesionCrop(crop_size)
        k = classifier_width
        self.classifier = nn.Sequential(
            ConvBlock(in_channels + 1, k),
            nn.MaxPool2d(2),
            ConvBlock(k, 2 * k),
            nn.MaxPool2d(2),
            ConvBlock(2 * k, 4 * k),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(4 * k, num_classes),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s0, s1, s2, s3 = self.encoder(x)
        d0 = self.decoder1(self.decoder2(self.decoder3(s3, s2), s1), s0)
        seg = self.seg_head(d0)
        crop = self.crop(x, torch.sigmoid(seg))
        return seg, self.classifier(crop)
