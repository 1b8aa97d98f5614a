"""training.losses' mask loss kinds: the binary focal term against a hand computation and
against binary cross-entropy (gamma 0), and that segmentation_loss / dual_task_loss use the
kind they are given (issue 16's loss ablation)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from training.losses import (
    SEG_FOCAL_GAMMA,
    binary_focal_loss,
    dual_task_loss,
    segmentation_loss,
    soft_dice_loss,
)


def test_binary_focal_matches_hand_computation() -> None:
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0]).reshape(1, 1, 2, 2)
    target = torch.tensor([1.0, 1.0, 0.0, 0.0]).reshape(1, 1, 2, 2)
    expected = 0.0
    for z, t in zip(logits.flatten().tolist(), target.flatten().tolist(), strict=True):
        p = 1 / (1 + math.exp(-z))
        p_true = p if t else 1 - p
        expected += -((1 - p_true) ** 2) * math.log(p_true)
    got = binary_focal_loss(logits, target, gamma=2.0)
    assert got.item() == pytest.approx(expected / 4, rel=1e-5)


def test_binary_focal_with_gamma_zero_is_bce() -> None:
    logits = torch.randn(2, 1, 6, 6, generator=torch.Generator().manual_seed(0))
    target = (torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(1)) > 0.7).float()
    bce = F.binary_cross_entropy_with_logits(logits, target)
    assert binary_focal_loss(logits, target, gamma=0.0).item() == pytest.approx(bce.item())


def test_focal_down_weights_easy_pixels_more_than_hard_ones() -> None:
    target = torch.ones(1, 1, 1, 2)
    easy, hard = torch.full((1, 1, 1, 1), 4.0), torch.full((1, 1, 1, 1), -1.0)
    ratio = [
        (
            binary_focal_loss(x, target[..., :1])
            / F.binary_cross_entropy_with_logits(x, target[..., :1])
        ).item()
        for x in (easy, hard)
    ]
    assert ratio[0] < 0.01 < 0.5 < ratio[1] < 1.0


def test_segmentation_loss_kinds() -> None:
    logits = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    target = (torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(3)) > 0.5).float()
    dice = soft_dice_loss(logits, target)
    bce = F.binary_cross_entropy_with_logits(logits, target)
    focal = binary_focal_loss(logits, target, SEG_FOCAL_GAMMA)
    assert segmentation_loss(logits, target).item() == pytest.approx((dice + bce).item())
    assert segmentation_loss(logits, target, "focal+dice").item() == pytest.approx(
        (dice + focal).item()
    )
    with pytest.raises(ValueError, match="unknown segmentation loss 'dice'"):
        segmentation_loss(logits, target, "dice")


def test_dual_task_loss_passes_the_mask_loss_kind_on() -> None:
    g = torch.Generator().manual_seed(4)
    seg, cls = torch.randn(3, 1, 8, 8, generator=g), torch.randn(3, 2, generator=g)
    masks = (torch.rand(3, 1, 8, 8, generator=g) > 0.5).float()
    labels = torch.tensor([0, 1, 1])
    names = ("segmentation", "classification")
    bce = dual_task_loss((seg, cls), names, masks, labels)
    focal = dual_task_loss((seg, cls), names, masks, labels, seg_loss="focal+dice")
    pixel_bce = F.binary_cross_entropy_with_logits(seg, masks)
    pixel_focal = binary_focal_loss(seg, masks, SEG_FOCAL_GAMMA)
    assert (bce - focal).item() == pytest.approx((pixel_bce - pixel_focal).item(), rel=1e-5)
