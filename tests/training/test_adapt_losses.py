"""AdaptRecipe's loss knobs (seg_loss, focal_gamma) reach the training loop: with the same
seed and cases, a recipe that differs in one of them trains different weights, while the
same recipe twice trains the same ones; bad values are refused when the recipe is made."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.finetune_request import RequestError
from training.adapt import AdaptRecipe, adapt
from training.data import ArrayDataset
from training.finetune import _recipe
from training.networks import build_network


def _cases(n: int = 4, size: int = 32) -> ArrayDataset:
    rng = np.random.default_rng(0)
    images = rng.random((n, 1, size, size), dtype=np.float32)
    masks = np.zeros_like(images)
    masks[:, :, 8:20, 10:22] = 1.0
    labels = np.array([0, 1] * (n // 2), dtype=np.int64)
    cases = [f"c{i}" for i in range(n)]
    return ArrayDataset(cases, images, masks, labels, ["train"] * n, ("benign", "malignant"))


def _trained(recipe: AdaptRecipe) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    kwargs = {"in_channels": 1, "num_classes": 2, "width": 4, "attention_blocks": 1}
    net = build_network("hybrid-dual-task", **kwargs)
    net, _ = adapt(net, _cases(), recipe, seed=0)
    return {k: v.clone() for k, v in net.state_dict().items()}


BASE = AdaptRecipe(
    steps=2, batch_size=4, head_warmup_fraction=0.0, augment=False, annotations=0.0, bf16=False
)


@pytest.mark.parametrize("override", [{"seg_loss": "focal+dice"}, {"focal_gamma": 2.0}])
def test_a_loss_knob_changes_what_is_trained(override: dict) -> None:
    reference, again = _trained(BASE), _trained(BASE)
    assert all(torch.equal(reference[k], again[k]) for k in reference)
    changed = _trained(dataclasses.replace(BASE, **override))
    assert any(not torch.equal(reference[k], changed[k]) for k in reference)


def test_defaults_are_todays_losses() -> None:
    recipe = AdaptRecipe()
    assert (recipe.seg_loss, recipe.focal_gamma) == ("bce+dice", 0.0)


@pytest.mark.parametrize(
    ("override", "message"),
    [({"seg_loss": "focal"}, "seg_loss 'focal'"), ({"focal_gamma": -1.0}, "must be >= 0")],
)
def test_bad_loss_settings_are_refused_up_front(override: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AdaptRecipe(**override)
    with pytest.raises(RequestError, match=message):
        _recipe(override)
