"""Method 3 of SCIENCE.md: a small 3D U-Net for kidney and tumour in CT volumes.

Labels 0 background, 1 kidney, 2 tumour (the kidney-ct synthetic kind). CT slices are thick
(3 mm) against 2.8 mm in-plane pixels, so the first downsampling is in-plane only (2.5D-like
early features, as nnU-Net plans anisotropic data) and depth is halved from the second level
on. A benign/malignant head pools the deepest features under the predicted tumour
probability (the classification that the study made from the segmented tumour).
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


class ConvBlock3d(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(c_in, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
            nn.Conv3d(c_out, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
        )
        self.skip = nn.Conv3d(c_in, c_out, 1, bias=False) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class Up3d(nn.Module):
    def __init__(self, c_in: int, c_skip: int, c_out: int, stride: tuple[int, int, int]) -> None:
        super().__init__()
        self.up = nn.ConvTranspose3d(c_in, c_out, stride, stride=stride)
        self.block = ConvBlock3d(c_out + c_skip, c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.block(torch.cat([self.up(x), skip], dim=1))


class UNet3D(nn.Module):
    """forward(volume N×1×D×H×W) -> (label logits N×K×D×H×W, class logits N×C).

    D must be divisible by 4 and H, W by 8."""

    task_heads = ("cls_head",)
    encoder_levels = ("encoder.stem", "encoder.level1", "encoder.level2", "encoder.level3")
    strides = ((1, 2, 2), (2, 2, 2), (2, 2, 2))
    total_stride = (4, 8, 8)

    def __init__(
        self, in_channels: int = 1, num_labels: int = 3, num_classes: int = 2, width: int = 8
    ) -> None:
        super().__init__()
        w = width
        self.encoder = nn.Module()
        self.encoder.stem = ConvBlock3d(in_channels, w)
        chans = (w, 2 * w, 4 * w, 8 * w)
        for i, stride in enumerate(self.strides, start=1):
            level = nn.Sequential(nn.MaxPool3d(stride), ConvBlock3d(chans[i - 1], chans[i]))
            setattr(self.encoder, f"level{i}", level)
        self.decoder3 = Up3d(chans[3], chans[2], chans[2], self.strides[2])
        self.decoder2 = Up3d(chans[2], chans[1], chans[1], self.strides[1])
        self.decoder1 = Up3d(chans[1], chans[0], chans[0], self.strides[0])
        self.seg_head = nn.Conv3d(chans[0], num_labels, 1)
        self.cls_head = nn.Sequential(
            nn.Linear(2 * chans[3], 32), nn.GELU(), nn.Linear(32, num_classes)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.encoder
        s0 = e.stem(x)
        s1 = e.level1(s0)
        s2 = e.level2(s1)
        s3 = e.level3(s2)
        d0 = self.decoder1(self.decoder2(self.decoder3(s3, s2), s1), s0)
        seg = self.seg_head(d0)
        tumour = seg.softmax(dim=1)[:, -1:]  # the last label is the lesion
        weight = nn.functional.avg_pool3d(tumour, self.total_stride)  # to s3's grid
        masked = (s3 * weight).sum(dim=(2, 3, 4)) / (weight.sum(dim=(2, 3, 4)) + 1e-3)
        features = torch.cat([s3.mean(dim=(2, 3, 4)), masked], dim=1)
        return seg, self.cls_head(features)
