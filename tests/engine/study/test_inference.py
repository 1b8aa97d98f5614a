"""Multi-view ("views") bundles through the engine: predict_study, analyze_study, the study
evaluation and the CLI, against a hand-built ONNX model whose answers are known exactly.

The model (photo + us inputs, built with onnx.helper, no torch):
- classification logits = [0.1 - m, m - 0.1], m = mean of the ultrasound input (the bright
  fraction, since percentile normalisation maps a two-level image to 0/1): "malignant"
  exactly when more than 10 % of the ultrasound is bright;
- segmentation_us = 20·us - 10: the bright region is the lesion;
- attention_<view> = 8×8 average pooling of the input: where it is bright.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image as PILImage

from engine.atomic import write_csv_atomic, write_json_atomic
from engine.cli import main
from engine.errors import BundleError, LoadError
from engine.inference import load_model
from engine.io.study import load_study
from engine.metrics import dice, f1_score
from engine.study.analysis import analyze_study, write_study_analysis
from engine.study.evaluation import evaluate_study_folder
from engine.study.inference import predict_study
from engine.types import Image, Study

VIEW_SHAPE = (64, 80)  # (rows, cols) of the synthetic views
INPUT_SHAPE = (32, 40)  # the model input: exactly half, so letterboxing adds no padding


def _graph_model() -> onnx.ModelProto:
    f = TensorProto.FLOAT
    nodes = [
        helper.make_node("ReduceMean", ["us"], ["m4"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Flatten", ["m4"], ["m"], axis=1),
        helper.make_node("Sub", ["m", "threshold"], ["pos"]),
        helper.make_node("Neg", ["pos"], ["neg"]),
        helper.make_node("Concat", ["neg", "pos"], ["classification"], axis=1),
        helper.make_node("Mul", ["us", "twenty"], ["us20"]),
        helper.make_node("Sub", ["us20", "ten"], ["segmentation_us"]),
        helper.make_node(
            "AveragePool", ["us"], ["attention_us"], kernel_shape=[8, 8], strides=[8, 8]
        ),
        helper.make_node("ReduceMean", ["photo"], ["photo_gray"], axes=[1], keepdims=1),
        helper.make_node(
            "AveragePool", ["photo_gray"], ["attention_photo"], kernel_shape=[8, 8], strides=[8, 8]
        ),
    ]
    inits = [
        helper.make_tensor("threshold", f, [1], [0.1]),
        helper.make_tensor("twenty", f, [1], [20.0]),
        helper.make_tensor("ten", f, [1], [10.0]),
    ]
    h, w = INPUT_SHAPE
    graph = helper.make_graph(
        nodes,
        "known-answers",
        [
            helper.make_tensor_value_info("photo", f, ["N", 3, h, w]),
            helper.make_tensor_value_info("us", f, ["N", 1, h, w]),
        ],
        [
            helper.make_tensor_value_info("classification", f, ["N", 2]),
            helper.make_tensor_value_info("segmentation_us", f, ["N", 1, h, w]),
            helper.make_tensor_value_info("attention_photo", f, ["N", 1, h // 8, w // 8]),
            helper.make_tensor_value_info("attention_us", f, ["N", 1, h // 8, w // 8]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what every supported onnxruntime reads
    return model


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    onnx.save(_graph_model(), str(folder / "model.onnx"))
    outputs = ("classification", "segmentation_us", "attention_photo", "attention_us")
    write_json_atomic(
        folder / "model.json",
        {
            "model_id": "known-answers",
            "task": "views",
            "inputs": [
                {
                    "name": "photo",
                    "view": "photo",
                    "size": max(INPUT_SHAPE),
                    "shape": list(INPUT_SHAPE),
                    "channels": 3,
                    "normalisation": {"mode": "scale", "scale": 255},
                },
                {
                    "name": "us",
                    "view": "us",
                    "size": max(INPUT_SHAPE),
                    "shape": list(INPUT_SHAPE),
                    "channels": 1,
                    "normalisation": {"mode": "percentile"},
                },
            ],
            "outputs": {name: name for name in outputs},
            "classes": ["benign", "malignant"],
            "temperature": 2.0,
            "min_lesion_area_px": 10,
        },
    )
    return folder


def _views(box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(photo RGB, ultrasound, truth mask): one bright rectangle (r0, c0, r1, c1)."""
    r0, c0, r1, c1 = box
    us = np.full(VIEW_SHAPE, 20, dtype=np.uint8)
    us[r0:r1, c0:c1] = 220
    photo = np.zeros((*VIEW_SHAPE, 3), dtype=np.uint8)
    photo[r0:r1, c0:c1] = 255
    return photo, us, (us > 100).astype(np.uint8)


def _study(box: tuple[int, int, int, int], spacing: tuple[float, float] | None = None) -> Study:
    photo, us, _ = _views(box)
    return Study("c1", {"photo": Image(photo), "us": Image(us, spacing_mm=spacing)})


def test_predict_study_gives_known_probabilities_maps_and_mask(bundle: Path) -> None:
    model = load_model(bundle, device="cpu")
    box = (8, 8, 40, 48)  # bright fraction 32*40 / (64*80) = 0.25
    prediction = predict_study(_study(box), model)
    fraction = 0.25
    expected = 1 / (1 + np.exp(-2 * (fraction - 0.1) / 2.0))  # softmax of [-x, x] / T
    assert prediction.probabilities["malignant"] == pytest.approx(expected, abs=2e-3)
    assert prediction.label == "malignant"
    # Mirroring does not change a mean, so the TTA passes agree.
    assert prediction.probability_spread["malignant"] == pytest.approx(0.0, abs=1e-6)
    mask = prediction.masks["us"]
    assert mask.shape == VIEW_SHAPE and dice(mask, _views(box)[2]) > 0.95
    for view in ("photo", "us"):
        attention = prediction.view_maps[view]
        assert attention.shape == VIEW_SHAPE and attention.max() == pytest.approx(1.0)
        inside = attention[box[0] : box[2], box[1] : box[3]].mean()
        assert inside > 0.6 and attention[50:, 60:].max() < 0.1  # bright where the lesion is


def test_small_lesion_is_benign_and_mask_follows_the_view_size(bundle: Path) -> None:
    model = load_model(bundle, device="cpu")
    prediction = predict_study(_study((30, 30, 38, 46)), model, tta=False)  # 2.5 % bright
    assert prediction.label == "benign"
    assert prediction.probability_spread["benign"] == 0.0


def test_missing_view_names_the_view_and_image_models_refuse_studies(bundle: Path) -> None:
    model = load_model(bundle, device="cpu")
    photo, _, _ = _views((8, 8, 40, 48))
    with pytest.raises(LoadError, match="no 'us' view"):
        predict_study(Study("c2", {"photo": Image(photo)}), model)
    image_model = load_model(None, device="cpu")  # the shipped single-image bundle
    with pytest.raises(BundleError, match="not a study"):
        predict_study(_study((8, 8, 40, 48)), image_model)


def test_analyze_study_measures_the_segmented_view(bundle: Path, tmp_path: Path) -> None:
    model = load_model(bundle, device="cpu")
    analysis = analyze_study(_study((8, 8, 40, 48), spacing=(0.1, 0.1)), model)
    assert list(analysis.findings) == ["us"]
    (finding,) = analysis.findings["us"]
    assert finding.label == "malignant"
    assert finding.measurements.area_mm2 == pytest.approx(32 * 40 * 0.01, rel=0.1)
    out = write_study_analysis(analysis, tmp_path / "c1")
    saved = json.loads((out / "findings.json").read_text())
    assert saved["label"] == "malignant" and saved["views"]["us"]["lesion_count"] == 1
    assert saved["views"]["photo"]["segmented"] is False
    mask = np.asarray(PILImage.open(out / "mask_us.png"))
    assert mask.shape == VIEW_SHAPE and set(np.unique(mask)) == {0, 255}
    assert (out / "attention_photo.png").is_file()


def _dataset(root: Path) -> dict[str, str]:
    """Four cases: big bright lesions are malignant; one benign case is mislabelled on
    purpose (big lesion, benign label) so accuracy is 3/4, not 1."""
    cases = {
        "a": ((8, 8, 40, 48), "malignant"),
        "b": ((10, 10, 50, 60), "malignant"),
        "c": ((30, 30, 36, 40), "benign"),
        "d": ((8, 8, 40, 48), "benign"),
    }
    views, labels = [], []
    for case, (box, label) in cases.items():
        photo, us, truth = _views(box)
        for view, pixels in (("photo", photo), ("us", us)):
            (root / "images").mkdir(parents=True, exist_ok=True)
            (root / "masks").mkdir(parents=True, exist_ok=True)
            PILImage.fromarray(pixels).save(root / "images" / f"{case}_{view}.png")
            PILImage.fromarray(truth * 255).save(root / "masks" / f"{case}_{view}.png")
            views.append((case, view, f"images/{case}_{view}.png", f"masks/{case}_{view}.png"))
        labels.append((case, label))
    write_csv_atomic(root / "views.csv", ("case", "view", "file", "mask"), views)
    write_csv_atomic(root / "labels.csv", ("case", "label"), labels)
    return {case: label for case, (_, label) in cases.items()}


def test_evaluate_study_folder_and_cli(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _dataset(data)
    result = evaluate_study_folder(data, load_model(bundle, device="cpu"))
    summary = result["summary"]
    assert summary["n"] == 4 and summary["accuracy"] == pytest.approx(0.75)
    # Predicted malignant: a, b, d; truly malignant: a, b -> F1 = 2·2 / (2·2 + 1 + 0).
    assert summary["f1"] == pytest.approx(0.8)
    assert summary["dice_us"] > 0.95
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--data", str(data), "--model", str(bundle), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["accuracy"] == pytest.approx(0.75)


def test_cli_analyze_case_of_a_dataset_and_a_view_folder(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _dataset(data)
    out = tmp_path / "out"
    args = ["analyze", str(data), "--case", "c", "--out", str(out), "--model", str(bundle)]
    assert main(args) == 0
    assert json.loads((out / "c" / "findings.json").read_text())["label"] == "benign"
    folder = tmp_path / "case7"
    folder.mkdir()
    photo, us, _ = _views((8, 8, 40, 48))
    PILImage.fromarray(photo).save(folder / "photo.png")
    PILImage.fromarray(us).save(folder / "us.png")
    assert load_study(folder).views.keys() == {"photo", "us"}
    assert main(["analyze", str(folder), "--out", str(out), "--model", str(bundle)]) == 0
    saved = json.loads((out / "case7" / "findings.json").read_text())
    assert saved["label"] == "malignant" and saved["views"]["us"]["lesion_count"] == 1
    (folder / "us.png").unlink()
    PILImage.fromarray(us).save(folder / "lateral.png")  # the model's 'us' view is missing
    assert main(["analyze", str(folder), "--out", str(out), "--model", str(bundle)]) == 1


def test_f1_score_reference() -> None:
    labels = np.array([1, 1, 0, 0, 1])
    predicted = np.array([1, 0, 1, 0, 1])
    # TP 2, FP 1, FN 1 -> 2·2 / (4 + 2)
    assert f1_score(labels, predicted) == pytest.approx(4 / 6)
