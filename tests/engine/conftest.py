"""Engine fixtures: for volume tests a pointwise ONNX volume bundle and a CT-like phantom;
a tiny image bundle; a multi-frame ultrasound (cine) written from a node sample.

The volume bundle's one 1x1x1 convolution makes each voxel's label depend on that voxel
alone, so a sliding window must reproduce a whole-volume pass exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.synth.nodes import NodeSample

HU_WINDOW = (-250.0, 350.0)
# Per-voxel logits w * x + b on the normalised value x: background below x = -0.1,
# kidney in between, tumour above x = 0.5 (so HU above 200).
SEG_W, SEG_B = [-5.0, 0.0, 5.0], [0.0, 0.5, -2.0]


def _pointwise_onnx(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = [
        numpy_helper.from_array(np.array(SEG_W, np.float32).reshape(3, 1, 1, 1, 1), "seg_w"),
        numpy_helper.from_array(np.array(SEG_B, np.float32), "seg_b"),
        numpy_helper.from_array(np.array([[3.0, -3.0]], np.float32), "cls_w"),
        numpy_helper.from_array(np.array([0.2, -0.1], np.float32), "cls_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["volume", "seg_w", "seg_b"], ["segmentation"]),
        helper.make_node("ReduceMean", ["volume"], ["mean"], axes=[2, 3, 4], keepdims=0),
        helper.make_node("MatMul", ["mean", "cls_w"], ["cls_raw"]),
        helper.make_node("Add", ["cls_raw", "cls_b"], ["classification"]),
    ]
    dims = ["N", 1, "D", "H", "W"]
    graph = helper.make_graph(
        nodes,
        "pointwise",
        [helper.make_tensor_value_info("volume", TensorProto.FLOAT, dims)],
        [
            helper.make_tensor_value_info(
                "segmentation", TensorProto.FLOAT, ["N", 3, "D", "H", "W"]
            ),
            helper.make_tensor_value_info("classification", TensorProto.FLOAT, ["N", 2]),
        ],
        initializer=weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def write_pointwise_bundle(folder: Path, radiomics: dict | None = None, **volume_options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _pointwise_onnx(folder / "model.onnx")
    spec = {
        "model_id": "pointwise-test",
        "task": "volume",
        "inputs": [{"name": "volume", "size": 16, "channels": 1, "normalisation": {}}],
        "outputs": {"segmentation": "segmentation", "classification": "classification"},
        "classes": ["benign", "malignant"],
        "volume": {
            "patch": [8, 16, 16],
            "overlap": 0.5,
            "spacing_mm": [3.0, 2.8, 2.8],
            "hu_window": list(HU_WINDOW),
            "label_names": ["background", "kidney", "tumour"],
            "max_components": 100,
            "min_component_fraction": 0.0,
            **volume_options,
        },
    }
    if radiomics is not None:
        spec["radiomics"] = radiomics
    (folder / "model.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


def ct_phantom(shape: tuple[int, int, int] = (20, 40, 36)) -> np.ndarray:
    """Air, a soft-tissue block (kidney range) and a bright blob (tumour range), with noise."""
    rng = np.random.default_rng(3)
    hu = np.full(shape, -900.0) + rng.normal(0, 20, shape)
    d, h, w = shape
    block = (slice(d // 5, d - d // 5), slice(h // 5, h - h // 5), slice(w // 6, w - w // 6))
    hu[block] = 80 + rng.normal(0, 30, hu[block].shape)
    z, y, x = np.indices(shape)
    blob = (z - d / 2) ** 2 / (d / 6) ** 2 + (y - h / 2) ** 2 / (h / 8) ** 2
    hu[blob + (x - w / 2) ** 2 / (w / 7) ** 2 < 1] = 280.0
    return hu.astype(np.float32)


def random_radiomics_classifier() -> dict:
    """A radiomics classifier block of model.json with seeded random coefficients."""
    from engine.radiomics import FEATURE_NAMES

    n = len(FEATURE_NAMES)
    rng = np.random.default_rng(1)
    return {
        "features": list(FEATURE_NAMES),
        "mean": rng.normal(size=n).tolist(),
        "scale": (1 + rng.random(n)).tolist(),
        "coef": [rng.normal(size=n).tolist()],
        "intercept": [0.1],
        "classes": ["benign", "malignant"],
    }


@pytest.fixture
def volume_bundle(tmp_path: Path) -> Path:
    """A pointwise volume bundle with a (random) radiomics classifier."""
    return write_pointwise_bundle(tmp_path / "pointwise-bundle", random_radiomics_classifier())


@pytest.fixture
def volume_kit():  # noqa: ANN201 - a namespace of the builders above
    from types import SimpleNamespace

    return SimpleNamespace(
        bundle=write_pointwise_bundle,
        phantom=ct_phantom,
        hu_window=HU_WINDOW,
        radiomics=random_radiomics_classifier,
    )


# A tiny image bundle built with onnx.helper (3x3 conv segmentation + pooled classifier), for
# the TTA batching and int8 quantisation tests.
TINY_SIZE = 32


def _tiny_image_model(batch: int | str = "N", seed: int = 0):  # noqa: ANN202 - onnx.ModelProto
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.5, (4, 1, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.5, (1, 4, 1, 1)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.5, (4, 2)).astype(np.float32), "w3"),
        numpy_helper.from_array(np.zeros(2, np.float32), "b3"),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["segmentation"]),
        helper.make_node("GlobalAveragePool", ["r1"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w3", "b3"], ["classification"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, [batch, 1, TINY_SIZE, TINY_SIZE]
            )
        ],
        [
            helper.make_tensor_value_info(
                "segmentation", TensorProto.FLOAT, [batch, 1, TINY_SIZE, TINY_SIZE]
            ),
            helper.make_tensor_value_info("classification", TensorProto.FLOAT, [batch, 2]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _write_tiny_bundle(directory: Path, batch: int | str = "N", seed: int = 0) -> Path:
    import onnx

    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(_tiny_image_model(batch, seed), str(directory / "model.onnx"))
    spec = {
        "schema_version": 1,
        "model_id": "tiny-test",
        "inputs": [
            {
                "name": "image",
                "size": TINY_SIZE,
                "channels": 1,
                "resize": "letterbox",
                "normalisation": {"mode": "percentile"},
            }
        ],
        "outputs": {"segmentation": "segmentation", "classification": "classification"},
        "classes": ["benign", "malignant"],
    }
    (directory / "model.json").write_text(json.dumps(spec, indent=2))
    return directory


@pytest.fixture
def make_tiny_bundle():  # noqa: ANN201
    """make(directory, batch="N" | 1, seed=0) -> a bundle folder with model.onnx + model.json."""
    return _write_tiny_bundle


@pytest.fixture
def tiny_image_model():  # noqa: ANN201
    """(batch="N", seed=0) -> onnx.ModelProto of the tiny bundle's network."""
    return _tiny_image_model


def write_cine(path: Path, sample: NodeSample, frames: int = 3) -> Path:
    """Ultrasound Multi-frame Image Storage: the sample shifted right by 3 px per frame."""
    import pydicom
    from pydicom.tag import Tag

    from engine.synth.dicom_out import write_ultrasound_dicom

    write_ultrasound_dicom(path, sample.image, sample.spacing_mm, sample.region)
    ds = pydicom.dcmread(path)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    stack = np.stack([np.roll(sample.image, 3 * k, axis=1) for k in range(frames)])
    ds.NumberOfFrames = frames
    ds.FrameTime = 33.3
    ds.FrameIncrementPointer = Tag("FrameTime")
    ds.PixelData = stack.tobytes()
    ds.save_as(path)
    return path


@pytest.fixture
def cine_writer():  # noqa: ANN201
    """write_cine(path, sample, frames=3) -> path (export's and analyze's --frame tests)."""
    return write_cine
