"""Dice + cross-entropy (or focal) for the mask, class-weighted cross-entropy (or focal) for
the label."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    prob = torch.sigmoid(logits)
    dims = (1, 2, 3)
    inter = (prob * target).sum(dims)
    denom = prob.sum(dims) + target.sum(dims)
    return (1 - (2 * inter + eps) / (denom + eps)).mean()


# The pixel terms a mask loss can add to soft Dice (AdaptRecipe.seg_loss names one).
SEG_LOSSES = ("bce+dice", "focal+dice")
SEG_FOCAL_GAMMA = 2.0  # Lin et al. 2017's default


def segmentation_loss(
    logits: torch.Tensor, target: torch.Tensor, kind: str = "bce+dice"
) -> torch.Tensor:
    """Soft Dice plus a pixel term: binary cross-entropy ("bce+dice"), or the binary focal
    loss ("focal+dice"), which down-weights the many easy background pixels so the lesion's
    border pixels carry more of the gradient (issue 16's loss ablation)."""
    if kind == "bce+dice":
        pixel = F.binary_cross_entropy_with_logits(logits, target)
    elif kind == "focal+dice":
        pixel = binary_focal_loss(logits, target, SEG_FOCAL_GAMMA)
    else:
        raise ValueError(f"unknown segmentation loss {kind!r} (known: {', '.join(SEG_LOSSES)})")
    return soft_dice_loss(logits, target) + pixel


def binary_focal_loss(
    logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0
) -> torch.Tensor:
    """Per-pixel binary cross-entropy scaled by (1 - p_true)^gamma (Lin et al. 2017), mean
    over pixels; no alpha (soft Dice already balances lesion against background). gamma = 0
    gives exactly binary cross-entropy."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_true = torch.exp(-bce)  # sigmoid(logit) for a lesion pixel, 1 - it for background
    return ((1 - p_true).clamp(min=0) ** gamma * bce).mean()


def classification_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    class_weights: torch.Tensor | None = None,
    focal_gamma: float = 0.0,
) -> torch.Tensor:
    """Class-weighted cross-entropy; with focal_gamma > 0 the focal loss instead."""
    if focal_gamma > 0:
        return focal_loss(logits, labels, class_weights, focal_gamma)
    return F.cross_entropy(logits, labels, weight=class_weights, label_smoothing=0.05)


def focal_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    class_weights: torch.Tensor | None = None,
    gamma: float = 2.0,
) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): cross-entropy scaled by (1 - p_true)^gamma, so the many
    easy cases stop dominating the few hard ones. Class weights act as alpha; the mean is
    weighted like F.cross_entropy's, so gamma = 0 gives exactly weighted cross-entropy."""
    log_p = F.log_softmax(logits, dim=1).gather(1, labels[:, None])[:, 0]
    modulator = (1 - log_p.exp()).clamp(min=0) ** gamma
    weight = (
        class_weights.to(logits.dtype)[labels]
        if class_weights is not None
        else torch.ones_like(log_p)
    )
    return -(weight * modulator * log_p).sum() / weight.sum().clamp(min=1e-12)


def feature_reconstruction_loss(
    reconstructed: torch.Tensor, features: torch.Tensor
) -> torch.Tensor:
    """1 - cosine similarity between what the fused representation rebuilds and each
    modality's own features (method 5). The target is detached and the measure is
    scale-free, so the encoders cannot satisfy it by shrinking their features; the fusion
    has to keep the information of both modalities."""
    return (1 - F.cosine_similarity(reconstructed, features.detach(), dim=1)).mean()


def multiclass_segmentation_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Soft Dice over the foreground labels + cross-entropy, for label maps (N×K×... logits,
    N×... integer labels): kidney and tumour volumes."""
    prob = logits.softmax(dim=1)
    one_hot = F.one_hot(labels.long(), logits.shape[1]).movedim(-1, 1).to(prob.dtype)
    dims = tuple(range(2, logits.ndim))
    inter = (prob * one_hot).sum(dims)
    denom = prob.sum(dims) + one_hot.sum(dims)
    dice = (2 * inter + 1.0) / (denom + 1.0)
    return (1 - dice[:, 1:]).mean() + F.cross_entropy(logits, labels.long())


NO_LESION = -1  # ArrayDataset label of an image without a lesion (a normal scan)


def dual_task_loss(
    outputs: tuple[torch.Tensor, ...],
    names: tuple[str, ...],
    masks: torch.Tensor,
    labels: torch.Tensor,
    class_weights: torch.Tensor | None = None,
    cls_weight: float = 0.5,
    presence_weight: float = 0.5,
    focal_gamma: float = 0.0,
    seg_loss: str = "bce+dice",
) -> torch.Tensor:
    """The loss of a (segmentation, classification[, presence][, features]) network on a
    batch; `names` are the network's output names. seg_loss: segmentation_loss's kind;
    focal_gamma > 0: the focal loss for the class head.

    The mask loss covers every image, normal ones included (they teach "nothing here"). With
    a presence head, the class is learned from lesion images only (a normal scan has no
    benign or malignant lesion to name) and presence from all: is the mask non-empty? A
    network without presence head gets no image with label NO_LESION.
    """
    named = dict(zip(names, outputs, strict=True))
    seg, cls, presence = named["segmentation"].float(), named["classification"].float(), None
    presence = named.get("presence")
    loss = segmentation_loss(seg, masks, seg_loss)
    lesion = labels != NO_LESION
    if lesion.any():
        loss = loss + cls_weight * classification_loss(
            cls[lesion], labels[lesion], class_weights, focal_gamma
        )
    if presence is not None:
        present = (masks.flatten(1).amax(dim=1) > 0).to(seg.dtype)
        loss = loss + presence_weight * F.binary_cross_entropy_with_logits(
            presence.float()[:, 0], present
        )
    return loss
