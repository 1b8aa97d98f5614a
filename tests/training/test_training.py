"""Training, export and bundle writing on tiny data: real torch, real ONNX, real onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.bundle import read_bundle
from engine.inference import load_model
from engine.io import load_image
from engine.synth.dataset import write_dataset
from training.augment import augment_batch
from training.bundle_writer import model_json, write_bundle
from training.data import load_folder
from training.fit import TrainConfig, fit, fit_temperature
from training.losses import segmentation_loss
from training.networks import build_network

SIZE = 64
KW = {"in_channels": 1, "num_classes": 2, "width": 8, "attention_blocks": 1}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset("nodes", 10, tmp_path_factory.mktemp("tiny"), seed=4, val_fraction=0.2)


def test_load_folder_uses_engine_preprocessing(tiny_data: Path) -> None:
    data = load_folder(tiny_data, SIZE)
    assert data.images.shape == (10, 1, SIZE, SIZE) and data.masks.shape == data.images.shape
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    assert data.subset("val").cases and data.subset("train").cases
    assert data.masks.sum() > 0


def test_augmentation_keeps_image_and_mask_aligned() -> None:
    mask = torch.zeros(4, 1, 32, 32)
    mask[:, :, 8:20, 10:26] = 1
    image = mask.clone()
    aug_img, aug_mask = augment_batch(
        image * 0.8 + 0.1, mask.clone(), torch.Generator().manual_seed(0)
    )
    inside = aug_img[aug_mask > 0.5].mean()
    outside = aug_img[aug_mask < 0.5].mean()
    assert inside > outside + 0.2


def test_network_overfits_one_batch(tiny_data: Path) -> None:
    torch.manual_seed(0)
    data = load_folder(tiny_data, SIZE)
    net = build_network("hybrid-dual-task", **KW)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    x, m = torch.from_numpy(data.images[:4]), torch.from_numpy(data.masks[:4])
    losses = []
    for _ in range(25):
        loss = segmentation_loss(net(x)[0], m)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]


def test_fit_export_and_engine_inference(tiny_data: Path, tmp_path: Path) -> None:
    data = load_folder(tiny_data, SIZE)
    net = build_network("hybrid-dual-task", **KW)
    records: list[dict] = []
    net, history = fit(
        net,
        data.subset("train"),
        data.subset("val"),
        TrainConfig(epochs=1, batch_size=4),
        records.append,
    )
    assert history and {"epoch", "loss", "val_dice"} <= set(records[0])
    spec = model_json(
        model_id="tiny-test",
        architecture="hybrid-dual-task",
        size=SIZE,
        classes=data.classes,
        temperature=1.5,
        network_kwargs=KW,
        card={"intended_use": "research use; not for diagnosis", "training_data": "SYNTHETIC"},
    )
    out = write_bundle(net, tmp_path / "bundle", spec, {"history": history})
    assert read_bundle(out).metrics["onnx_parity_max_abs"] < 1e-4
    image = load_image(tiny_data / "images" / f"{data.cases[0]}.png")
    prediction = load_model(out, device="cpu").predict(image)
    assert prediction.mask.shape == image.pixels.shape
    assert prediction.model_id == "tiny-test"
    from training.checkpoint import network_from_bundle

    rebuilt = network_from_bundle(out)
    x = torch.rand(1, 1, SIZE, SIZE)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x)[0], net.eval()(x)[0])


def test_temperature_scaling_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    correct = rng.random(400) < 0.75  # 75 % accurate, but logits say ~100 %
    predicted = np.where(correct, labels, 1 - labels)
    logits = np.zeros((400, 2))
    logits[np.arange(400), predicted] = 8.0
    assert fit_temperature(logits, labels) > 3.0


def test_temperature_never_sharpens_a_perfectly_separated_set() -> None:
    labels = np.array([0, 1] * 50)
    logits = np.zeros((100, 2))
    logits[np.arange(100), labels] = 3.0
    assert fit_temperature(logits, labels) == pytest.approx(1.0)
