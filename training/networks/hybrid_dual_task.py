"""Method 1 of SCIENCE.md: a CNN + self-attention encoder shared by two task heads.

The convolutional stages see local texture (speckle, margin); the attention stage at the
deepest level sees the whole lesion at once (shape, hilum position), which is what the
benign/malignant call depends on. Segmentation and classification train the same encoder,
and the classifier pools encoder features under the predicted mask (mask-guided), so it
looks at the lesion rather than the background.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _norm(channels: int) -> nn.GroupNorm:
    # GroupNorm, not BatchNorm: fine-tuning runs on batches of a handful of corrected cases.
    return nn.GroupNorm(min(8, channels), channels)


class ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
        )
        self.skip = nn.Conv2d(c_in, c_out, 1, bias=False) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class AttentionBlock(nn.Module):
    """Pre-norm transformer block over all positions, with a convolutional position encoding
    (a depthwise conv), so it works for any input size and exports cleanly to ONNX."""

    def __init__(self, channels: int, heads: int = 4, mlp_ratio: int = 2) -> None:
        super().__init__()
        self.pos = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.norm1 = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(channels)
        self.mlp = nn.Sequential(
            nn.Linear(channels, channels * mlp_ratio),
            nn.GELU(),
            nn.Linear(channels * mlp_ratio, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos(x)
        n, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        q = self.norm1(tokens)
        tokens = tokens + self.attn(q, q, q, need_weights=False)[0]
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens.transpose(1, 2).reshape(n, c, h, w)


class StridedStem(nn.Module):
    """A stride-2 convolution before the first block: the network reads the input at twice
    the resolution (speckle texture, thin margins) for little more than the cost of the
    half-resolution network."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), _norm(c_out), nn.GELU()
        )
        self.block = ConvBlock(c_out, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.down(x))


class Encoder(nn.Module):
    """Four convolutional levels, then attention at 1/8 resolution (1/16 with a strided
    stem). Levels are named so hierarchical freezing can address them: stem, level1, level2,
    level3, attention."""

    def __init__(
        self, in_channels: int = 1, width: int = 16, attention_blocks: int = 2, stem_stride: int = 1
    ) -> None:
        super().__init__()
        w = width
        if stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, not {stem_stride}")
        self.stem = ConvBlock(in_channels, w) if stem_stride == 1 else StridedStem(in_channels, w)
        self.level1 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(w, 2 * w))
        self.level2 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(2 * w, 4 * w))
        self.level3 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(4 * w, 8 * w))
        self.attention = nn.Sequential(*[AttentionBlock(8 * w) for _ in range(attention_blocks)])
        self.channels = (w, 2 * w, 4 * w, 8 * w)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        s0 = self.stem(x)
        s1 = self.level1(s0)
        s2 = self.level2(s1)
        s3 = self.attention(self.level3(s2))
        return [s0, s1, s2, s3]


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_skip: int, c_out: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)
        self.block = ConvBlock(c_out + c_skip, c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.block(torch.cat([self.up(x), skip], dim=1))


class HybridDualTaskNet(nn.Module):
    """Returns (segmentation logits N×1×H×W, class logits N×C), then with presence=True the
    lesion-present logit (N×1), then with features (default: as presence) the image
    features (N×F); `output_names` names them in that order.

    The presence head answers "is there a lesion at all?" from the whole image, so a normal
    scan can come back empty instead of with the least unlikely blob; the class head is then
    trained on lesion images only. The features (the pooled encoder and decoder activations
    both heads read) let the engine tell how far an image lies from the training images
    (its scope score).
    """

    # For training.transfer and training.freezing: parameters of the task heads (not copied
    # from a source domain) and the encoder levels from the earliest to the deepest.
    task_heads = ("cls_head", "presence_head")
    encoder_levels = (
        "encoder.stem",
        "encoder.level1",
        "encoder.level2",
        "encoder.level3",
        "encoder.attention",
    )

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        width: int = 16,
        attention_blocks: int = 2,
        presence: bool = False,
        stem_stride: int = 1,
        features: bool | None = None,
    ) -> None:
        super().__init__()
        self.presence = presence
        self.features = presence if features is None else features
        self.stem_stride = stem_stride
        self.encoder = Encoder(in_channels, width, attention_blocks, stem_stride)
        c0, c1, c2, c3 = self.encoder.channels
        self.decoder3 = UpBlock(c3, c2, c2)
        self.decoder2 = UpBlock(c2, c1, c1)
        self.decoder1 = UpBlock(c1, c0, c0)
        self.seg_head = nn.Conv2d(c0, 1, 1)
        self.cls_head = nn.Sequential(
            nn.Linear(2 * c3 + 2 * c2, 64), nn.GELU(), nn.Dropout(0.2), nn.Linear(64, num_classes)
        )
        if presence:
            self.presence_head = nn.Sequential(
                nn.Linear(2 * c3 + 2 * c2, 64), nn.GELU(), nn.Dropout(0.2), nn.Linear(64, 1)
            )

    @property
    def output_names(self) -> tuple[str, ...]:
        names = ["segmentation", "classification"]
        names += ["presence"] if self.presence else []
        names += ["features"] if self.features else []
        return tuple(names)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        s0, s1, s2, s3 = self.encoder(x)
        d2 = self.decoder3(s3, s2)
        d1 = self.decoder2(d2, s1)
        d0 = self.decoder1(d1, s0)
        seg = self.seg_head(d0)
        prob = torch.sigmoid(seg)
        if self.stem_stride > 1:  # back to the input grid (the head ran at half resolution)
            seg = F.interpolate(seg, scale_factor=self.stem_stride, mode="bilinear")
        features = [
            s3.mean(dim=(2, 3)),
            _masked_mean(s3, prob),
            d2.mean(dim=(2, 3)),
            _masked_mean(d2, prob),
        ]
        pooled = torch.cat(features, dim=1)
        outputs = [seg, self.cls_head(pooled)]
        if self.presence:
            outputs.append(self.presence_head(pooled))
        if self.features:
            outputs.append(torch.cat([features[0], features[2]], dim=1))
        return tuple(outputs)


def _masked_mean(features: torch.Tensor, prob: torch.Tensor) -> torch.Tensor:
    weight = F.adaptive_avg_pool2d(prob, features.shape[-2:])
    return (features * weight).sum(dim=(2, 3)) / (weight.sum(dim=(2, 3)) + 1e-3)
