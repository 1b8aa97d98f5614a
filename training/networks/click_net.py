"""The interactive (click-to-segment) network: an image encoder run once per image and a
light prompt decoder run once per click.

Encoder: image 1×S×S -> features at 1/4 (`features`, C4×S/4×S/4: a small CNN down to 1/32
and an FPN back up) and at 1/2 (`detail`, C2×S/2×S/2: edges for the outline).
Decoder: features + detail + the prompt maps (engine.interactive.clicks.PROMPT_CHANNELS at
S×S: positive and negative click disks, box, previous mask) -> mask logits 1×S×S. The prompt
is brought to 1/2 and 1/4 by strided convolutions and fused with the image features; dilated
convolutions at 1/4 carry a click across a lesion; the logits are made at 1/2 and upsampled.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

PROMPT_CHANNELS = 4


def conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class ClickEncoder(nn.Module):
    output_names = ("features", "detail")

    def __init__(self, width: int = 16, feature_channels: int = 48, detail_channels: int = 16):
        super().__init__()
        w = width
        self.stem = nn.Sequential(conv_bn(1, w), conv_bn(w, w * 3 // 2, stride=2))  # 1/2
        self.down4 = nn.Sequential(conv_bn(w * 3 // 2, w * 3, stride=2), Residual(w * 3))
        self.down8 = nn.Sequential(conv_bn(w * 3, w * 4, stride=2), Residual(w * 4))
        self.down16 = nn.Sequential(conv_bn(w * 4, w * 6, stride=2), Residual(w * 6, 2))
        self.down32 = nn.Sequential(conv_bn(w * 6, w * 8, stride=2), Residual(w * 8, 2))
        c = feature_channels
        self.lateral32 = nn.Conv2d(w * 8, c, 1)
        self.lateral16 = nn.Conv2d(w * 6, c, 1)
        self.lateral8 = nn.Conv2d(w * 4, c, 1)
        self.lateral4 = nn.Conv2d(w * 3, c, 1)
        self.smooth = conv_bn(c, c)
        self.detail = nn.Sequential(nn.Conv2d(w * 3 // 2, detail_channels, 1), nn.ReLU())

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x2 = self.stem(image)
        x4 = self.down4(x2)
        x8 = self.down8(x4)
        x16 = self.down16(x8)
        x32 = self.down32(x16)
        p = self.lateral32(x32)
        p = self.lateral16(x16) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.lateral8(x8) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.lateral4(x4) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        return self.smooth(p), self.detail(x2)


class ClickDecoder(nn.Module):
    output_names = ("logits",)

    def __init__(self, feature_channels: int = 48, detail_channels: int = 16, width: int = 48):
        super().__init__()
        self.prompt2 = nn.Sequential(
            nn.Conv2d(PROMPT_CHANNELS, 16, 3, stride=2, padding=1), nn.ReLU(inplace=True)
        )
        self.prompt4 = nn.Sequential(nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())
        self.fuse = nn.Sequential(
            nn.Conv2d(feature_channels + 16, width, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.context = nn.Sequential(Residual(width, 1), Residual(width, 2), Residual(width, 4))
        self.reduce = nn.Conv2d(width, detail_channels, 1)
        self.refine = nn.Sequential(conv_bn(detail_channels * 2 + 16, 16), nn.Conv2d(16, 1, 1))

    def forward(
        self, features: torch.Tensor, detail: torch.Tensor, prompts: torch.Tensor
    ) -> torch.Tensor:
        p2 = self.prompt2(prompts)
        p4 = self.prompt4(p2)
        x = self.context(self.fuse(torch.cat([features, p4], dim=1)))
        up = F.interpolate(self.reduce(x), scale_factor=2.0, mode="bilinear", align_corners=False)
        logits2 = self.refine(torch.cat([up, detail, p2], dim=1))
        return F.interpolate(logits2, scale_factor=2.0, mode="bilinear", align_corners=False)


class ClickNet(nn.Module):
    """Encoder + decoder, for training; exported as two ONNX files."""

    def __init__(self, width: int = 16, feature_channels: int = 48, decoder_width: int = 48):
        super().__init__()
        self.encoder = ClickEncoder(width, feature_channels)
        self.decoder = ClickDecoder(feature_channels, 16, decoder_width)

    def forward(self, image: torch.Tensor, prompts: torch.Tensor) -> torch.Tensor:
        features, detail = self.encoder(image)
        return self.decoder(features, detail, prompts)
