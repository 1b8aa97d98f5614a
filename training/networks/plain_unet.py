"""A plain 4-level U-Net (Ronneberger et al. 2015) with BatchNorm and ReLU: the baseline a
small site would train from scratch on its own cases. A pooled bottleneck head gives the
class, so it can be scored like the dual-task networks (Dice and AUC).
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class PlainEncoder(nn.Module):
    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        w = width
        self.level0 = _double_conv(in_channels, w)
        self.level1 = nn.Sequential(nn.MaxPool2d(2), _double_conv(w, 2 * w))
        self.level2 = nn.Sequential(nn.MaxPool2d(2), _double_conv(2 * w, 4 * w))
        self.level3 = nn.Sequential(nn.MaxPool2d(2), _double_conv(4 * w, 8 * w))
        self.bottom = nn.Sequential(nn.MaxPool2d(2), _double_conv(8 * w, 16 * w))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        s0 = self.level0(x)
        s1 = self.level1(s0)
        s2 = self.level2(s1)
        s3 = self.level3(s2)
        return [s0, s1, s2, s3, self.bottom(s3)]


class _Up(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)
        self.conv = _double_conv(2 * c_out, c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([self.up(x), skip], dim=1))


class PlainUNet(nn.Module):
    """Returns (segmentation logits N×1×H×W, class logits N×C). Input size: a multiple of 16."""

    task_heads = ("cls_head",)
    encoder_levels = ("encoder.level0", "encoder.level1", "encoder.level2", "encoder.level3")
    output_names = ("segmentation", "classification")

    def __init__(self, in_channels: int = 1, num_classes: int = 2, width: int = 16) -> None:
        super().__init__()
        w = width
        self.encoder = PlainEncoder(in_channels, w)
        self.up3 = _Up(16 * w, 8 * w)
        self.up2 = _Up(8 * w, 4 * w)
        self.up1 = _Up(4 * w, 2 * w)
        self.up0 = _Up(2 * w, w)
        self.seg_head = nn.Conv2d(w, 1, 1)
        self.cls_head = nn.Sequential(nn.Dropout(0.2), nn.Linear(16 * w, num_classes))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s0, s1, s2, s3, bottom = self.encoder(x)
        d = self.up3(bottom, s3)
        d = self.up2(d, s2)
        d = self.up1(d, s1)
        d = self.up0(d, s0)
        return self.seg_head(d), self.cls_head(bottom.mean(dim=(2, 3)))
