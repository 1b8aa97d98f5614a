"""The click-to-segment network and its iterative-click training (tiny data, seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from training.make_interactive import model_json, shapes
from training.networks.click_net import ClickNet
from training.recipes.interactive import (
    ClickData,
    InteractiveRecipe,
    card,
    ct_slice_data,
    jittered_box,
    random_first_click,
    train,
    train_step,
)


def discs(n: int, size: int, seed: int = 0) -> ClickData:
    rng = np.random.default_rng(seed)
    rows, cols = np.ogrid[:size, :size]
    images, masks = [], []
    for _ in range(n):
        r, c = rng.integers(size // 4, 3 * size // 4, 2)
        radius = rng.integers(size // 10, size // 5)
        mask = (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
        images.append(np.where(mask, 0.8, 0.2)[None].astype(np.float32))
        masks.append(mask)
    return ClickData(np.stack(images), np.stack(masks), [f"d{i}" for i in range(n)], ["t"] * n)


def test_encoder_and_decoder_shapes_match_the_exported_signature() -> None:
    recipe = InteractiveRecipe()
    net = ClickNet(**recipe.network_kwargs()).eval()
    enc_shapes, dec_shapes = shapes(recipe)
    with torch.no_grad():
        features, detail = net.encoder(torch.zeros(2, *enc_shapes["image"]))
        assert tuple(features.shape[1:]) == dec_shapes["features"]
        assert tuple(detail.shape[1:]) == dec_shapes["detail"]
        logits = net.decoder(features, detail, torch.zeros(2, *dec_shapes["prompts"]))
    assert tuple(logits.shape) == (2, 1, recipe.size, recipe.size)
    parameters = sum(p.numel() for p in net.parameters())
    assert parameters * 4 < 20 * 1024 * 1024  # float32 weights under the 20 MB budget


def test_first_clicks_fall_inside_and_boxes_near_the_lesion() -> None:
    data = discs(4, 64)
    rng = np.random.default_rng(1)
    for target in data.masks:
        for _ in range(5):
            click = random_first_click(target, rng)
            assert click.positive and target[int(click.row), int(click.col)]
        box = jittered_box(target, rng)
        rows, cols = np.nonzero(target)
        h = rows.max() - rows.min() + 1
        assert abs(box.r0 - rows.min()) <= 0.1 * h + 1e-6


def test_train_step_gives_a_finite_loss_with_gradients() -> None:
    recipe = InteractiveRecipe(size=64, max_sim_clicks=2, box_probability=0.5)
    torch.manual_seed(0)
    net = ClickNet(**recipe.network_kwargs())
    data = discs(4, 64)
    loss, logits = train_step(net, data.images, data.masks, np.random.default_rng(0), recipe)
    loss.backward()
    assert torch.isfinite(loss) and logits.shape == (4, 1, 64, 64)
    assert net.encoder.stem[0][0].weight.grad is not None  # the encoder is trained too
    assert net.decoder.prompt2[0].weight.grad is not None


def test_training_is_seeded_and_learns_discs() -> None:
    recipe = InteractiveRecipe(size=32, epochs=3, batch_size=4, lr=5e-3)
    data = discs(8, 32)
    _, first = train(recipe, data, seed=3, log=lambda record: None)
    _, second = train(recipe, data, seed=3, log=lambda record: None)
    assert [h["loss"] for h in first] == [h["loss"] for h in second]
    assert first[-1]["loss"] < first[0]["loss"]


def test_model_json_declares_the_interactive_task_and_cites_busi() -> None:
    recipe = InteractiveRecipe()
    spec = model_json(recipe, "m", "h", card(Path("busi-dev"), {"busi": 3, "nodes": 2}, 0))
    assert spec["task"] == "interactive"
    assert spec["files"] == {"encoder": "encoder.onnx", "decoder": "decoder.onnx"}
    assert "Al-Dhabyani" in spec["card"]["training_data"]
    assert "SYNTHETIC" in spec["card"]["training_data"]


def test_augment_mirrors_masks_with_images_and_sometimes_inverts() -> None:
    from training.recipes.interactive import augment

    data = discs(8, 32)
    images, masks = augment(data.images, data.masks, np.random.default_rng(0), invert=1.0)
    for image, mask in zip(images, masks, strict=True):
        assert image[0][mask].mean() < image[0][~mask].mean()  # bright discs turned dark
    flipped = [np.array_equal(m, o[:, ::-1]) for m, o in zip(masks, data.masks, strict=True)]
    same = [np.array_equal(m, o) for m, o in zip(masks, data.masks, strict=True)]
    assert all(f or s for f, s in zip(flipped, same, strict=True)) and any(flipped)


def test_ct_slices_are_windowed_letterboxed_and_carry_their_object() -> None:
    data = ct_slice_data(2, 64, seed=3)
    assert set(data.domains) == {"ct"} and len(data) >= 2
    assert data.images.shape[1:] == (1, 64, 64) and data.masks.shape[1:] == (64, 64)
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    assert all(m.any() for m in data.masks)
    # The tumour slice and the kidney slice of one volume: the kidney (with its tumour)
    # is the larger object.
    by_case = dict(zip(data.cases, data.masks.sum(axis=(1, 2)), strict=True))
    assert by_case["ct003_00000_kidney"] > by_case["ct003_00000_tumour"]
    assert ct_slice_data(2, 64, seed=3).images.tobytes() == data.images.tobytes()  # seeded


def test_card_names_every_domain_the_model_was_trained_on() -> None:
    text = card(Path("busi-dev"), {"busi": 3, "nodes": 2, "skin": 1, "ct": 4}, 0)["training_data"]
    assert "4 kidney CT slices" in text and "BUSI" in text
