"""Every registered network at tiny size: output shapes, one learning step, and one ONNX
file whose outputs match torch within 1e-4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from engine.bundle import read_bundle
from engine.inference import load_model
from engine.types import Image
from training.bundle_writer import model_json, write_bundle
from training.export import SIGNATURES, export_onnx, input_shapes, onnx_parity
from training.losses import (
    classification_loss,
    feature_reconstruction_loss,
    multiclass_segmentation_loss,
    segmentation_loss,
)
from training.networks import REGISTRY, build_network
from training.networks.cascaded_unet import LesionCrop

TINY = {
    "hybrid-dual-task": {"width": 8, "attention_blocks": 1},
    "cascaded-unet": {"width": 8, "crop_size": 16, "classifier_width": 8},
    "two-view": {"width": 8, "attention_blocks": 1},
    "fusion-attention": {"width": 8, "grid": 4},
    "unet3d": {"width": 4},
    "plain-unet": {"width": 4},
}


def test_every_registered_network_is_covered() -> None:
    assert set(TINY) == set(REGISTRY) == set(SIGNATURES)


# The 2D single-image networks go through the bundle writer (its own parity check) and the
# engine: hybrid-dual-task in test_train_cli and test_training, cascaded-unet below.
@pytest.mark.parametrize("name", sorted(set(TINY) - {"hybrid-dual-task", "cascaded-unet"}))
def test_exports_to_one_onnx_file_with_parity(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = build_network(name, **TINY[name]).eval()
    shapes = input_shapes(name, 32, depth=8)
    if name in ("two-view", "fusion-attention"):  # views are not square (a bone scan is tall)
        shapes = {n: (shape[0], 32, 40) for n, shape in shapes.items()}
    outputs = SIGNATURES[name][1]
    path = export_onnx(net, tmp_path / "model.onnx", shapes, outputs)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no external data file
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == list(shapes)
    assert [o.name for o in model.graph.output] == list(outputs)
    assert onnx_parity(net, path, shapes, outputs).max_abs <= 1e-4


def test_cascaded_unet_runs_as_an_engine_bundle(tmp_path: Path) -> None:
    torch.manual_seed(0)
    kwargs = {"in_channels": 1, "num_classes": 2, **TINY["cascaded-unet"]}
    net = build_network("cascaded-unet", **kwargs)
    spec = model_json(
        model_id="tiny-cascade",
        architecture="cascaded-unet",
        size=32,
        classes=("benign", "malignant"),
        temperature=1.0,
        network_kwargs=kwargs,
        card={},
    )
    write_bundle(net, tmp_path / "bundle", spec, {})
    assert read_bundle(tmp_path / "bundle").metrics["onnx_parity_max_abs"] <= 1e-4
    image = Image(pixels=np.random.default_rng(0).integers(0, 255, (40, 56), dtype=np.uint8))
    prediction = load_model(tmp_path / "bundle", device="cpu").predict(image, tta=False)
    assert prediction.mask.shape == (40, 56)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_output_shapes() -> None:
    torch.manual_seed(0)
    x = torch.rand(3, 1, 32, 32)
    seg, cls = build_network("cascaded-unet", **TINY["cascaded-unet"], num_classes=3)(x)
    assert seg.shape == (3, 1, 32, 32) and cls.shape == (3, 3)
    logits, att_a, att_b = build_network("two-view", **TINY["two-view"])(x, x.flip(-1))
    assert logits.shape == (3, 2) and att_a.shape == att_b.shape == (3, 1, 4, 4)
    # Attention weights are a distribution over each view's positions.
    assert torch.allclose(att_a.sum(dim=(1, 2, 3)), torch.ones(3), atol=1e-5)
    fusion = build_network("fusion-attention", **TINY["fusion-attention"])
    photo = torch.rand(3, 3, 32, 40)
    out = fusion.forward_train(photo, torch.rand(3, 1, 32, 40))
    assert out["logits"].shape == (3, 2) and out["segmentation"].shape == (3, 1, 32, 40)
    cls, seg, att_photo, att_us = fusion(photo, torch.rand(3, 1, 32, 40))
    assert seg.shape == (3, 1, 32, 40) and att_photo.shape == att_us.shape == (3, 1, 4, 5)
    assert torch.allclose(att_us.sum(dim=(1, 2, 3)), torch.ones(3), atol=1e-5)
    assert out["reconstructed"].shape == out["features"].shape == (3, 2 * (16 + 32 + 64))
    seg3, cls3 = build_network("unet3d", **TINY["unet3d"])(torch.rand(2, 1, 8, 32, 24))
    assert seg3.shape == (2, 3, 8, 32, 24) and cls3.shape == (2, 2)


def test_two_view_aggregation_does_not_depend_on_batch_neighbours() -> None:
    torch.manual_seed(0)
    net = build_network("two-view", **TINY["two-view"]).eval()
    a, b = torch.rand(4, 1, 32, 32), torch.rand(4, 1, 32, 32)
    with torch.no_grad():
        together = net(a, b)
        alone = net(a[2:3], b[2:3])
    for both, one in zip(together, alone, strict=True):
        assert torch.allclose(both[2:3], one, atol=1e-5)


def test_lesion_crop_centres_on_the_lesion() -> None:
    prob = torch.zeros(1, 1, 64, 64)
    prob[:, :, 40:50, 8:18] = 1.0  # lesion in the lower left
    image = prob.clone()
    crop = LesionCrop(size=32)(image, prob)
    # The crop is centred on the lesion, which fills its middle, not its border.
    assert crop[0, 0, 12:20, 12:20].mean() > 0.99
    assert crop[0, 0, :, :2].mean() < 0.01 and crop[0, 0, :2, :].mean() < 0.01


def test_one_step_lowers_each_objective() -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 1, 32, 32)
    mask = torch.zeros(2, 1, 32, 32)
    mask[:, :, 8:20, 10:24] = 1.0
    y = torch.tensor([0, 1])

    def descend(net: torch.nn.Module, loss_fn) -> tuple[float, float]:  # noqa: ANN001
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        losses = []
        for _ in range(6):
            loss = loss_fn(net)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses[0], losses[-1]

    cascade = build_network("cascaded-unet", **TINY["cascaded-unet"])

    def cascade_loss(net: torch.nn.Module) -> torch.Tensor:
        seg, cls = net(x)
        return segmentation_loss(seg, mask) + classification_loss(cls, y)

    first, last = descend(cascade, cascade_loss)
    assert last < first
    fusion = build_network("fusion-attention", **TINY["fusion-attention"])
    photo = torch.rand(2, 3, 32, 32)

    def fusion_loss(net: torch.nn.Module) -> torch.Tensor:
        out = net.forward_train(photo, x)
        rec = feature_reconstruction_loss(out["reconstructed"], out["features"])
        seg = segmentation_loss(out["segmentation"], mask)
        return classification_loss(out["logits"], y) + rec + seg

    first, last = descend(fusion, fusion_loss)
    assert last < first
    unet = build_network("unet3d", **TINY["unet3d"])
    volume = torch.rand(1, 1, 8, 16, 16)
    labels = torch.zeros(1, 8, 16, 16, dtype=torch.long)
    labels[:, 2:6, 4:12, 4:12] = 1
    labels[:, 3:5, 6:9, 6:9] = 2

    first, last = descend(unet, lambda net: multiclass_segmentation_loss(net(volume)[0], labels))
    assert last < first


def test_losses_against_references() -> None:
    # Perfect logits: no Dice loss, and cross-entropy near 0.
    labels = torch.tensor([[[0, 1], [2, 2]]])
    logits = torch.nn.functional.one_hot(labels, 3).movedim(-1, 1).float() * 50
    assert multiclass_segmentation_loss(logits, labels).item() < 1e-3
    a = torch.tensor([[1.0, 2.0, 3.0]])
    assert feature_reconstruction_loss(2 * a, a).item() == pytest.approx(0.0, abs=1e-6)
    assert feature_reconstruction_loss(-a, a).item() == pytest.approx(2.0, abs=1e-6)
