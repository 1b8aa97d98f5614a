"""onnxruntime inference for multi-input ("views") bundles: one class per study.

Each bundle input names the study view it takes (model.json inputs[i].view); the outputs are
named by role: "classification", "attention_<view>" (where the model pooled its evidence on
that view) and "segmentation_<view>" (lesion logits on that view). Maps come back at each
view's own image size.
"""

from __future__ import annotations

import numpy as np

from engine.errors import BundleError, LoadError
from engine.inference import LoadedModel
from engine.preprocess import unletterbox
from engine.types import Image, Study, StudyPrediction
from engine.view_preprocess import input_shape, prepare_view, resize_map

ATTENTION, SEGMENTATION = "attention_", "segmentation_"


def predict_study(study: Study, model: LoadedModel, tta: bool = True) -> StudyPrediction:
    """Classify the case from all of its views at once.

    With tta, every view is also mirrored left-right in the same batch (a mirrored patient
    or lesion is the same case); probabilities and maps are the mean over both passes, and
    the spread of the class probability is kept as the uncertainty.
    """
    spec = model.spec
    if spec.task != "views":
        raise BundleError(
            model.bundle.directory, f"this model takes {_task_words(spec.task)}, not a study"
        )
    raw_inputs = {str(i["name"]): i for i in spec.raw.get("inputs", [])}
    feed, boxes, images = {}, {}, {}
    for inp in spec.inputs:
        image = _view_image(study, str(inp.view), [str(i.view) for i in spec.inputs])
        shape = input_shape(raw_inputs.get(inp.name, {"size": inp.size}))
        tensor, box = prepare_view(image, inp.channels, inp.normalisation, shape)
        passes = [tensor, tensor[..., ::-1]] if tta else [tensor]
        feed[inp.name] = np.ascontiguousarray(np.stack(passes), dtype=np.float32)
        boxes[str(inp.view)], images[str(inp.view)] = (box, shape), image
    names = list(spec.outputs.values())
    results = dict(zip(names, model.session.run(names, feed), strict=True))
    logits = results[spec.outputs["classification"]]
    class_probs = np.stack([_softmax(row / spec.temperature) for row in logits])
    view_maps, masks = {}, {}
    for role, name in spec.outputs.items():
        for prefix in (ATTENTION, SEGMENTATION):
            view = role[len(prefix) :]
            if not role.startswith(prefix) or view not in boxes:
                continue
            values = _unflip_mean(results[name][:, 0])
            box, shape = boxes[view]
            if prefix == ATTENTION:
                view_maps[view] = _attention_map(values, shape, box)
            else:
                prob = unletterbox(resize_map(_sigmoid(values), shape), box)
                masks[view] = (prob >= spec.threshold).astype(np.uint8)
    mean, spread = class_probs.mean(axis=0), class_probs.std(axis=0)
    return StudyPrediction(
        probabilities={c: float(p) for c, p in zip(spec.classes, mean, strict=True)},
        view_maps=view_maps,
        masks=masks,
        model_id=spec.model_id,
        probability_spread={c: float(s) for c, s in zip(spec.classes, spread, strict=True)},
    )


def _view_image(study: Study, view: str, needed: list[str]) -> Image:
    source = study.metadata.get("source") or study.case_id
    if view not in study.views:
        raise LoadError(
            source,
            f"case {study.case_id} has no {view!r} view (it has "
            f"{', '.join(study.views) or 'none'}); this model needs {', '.join(needed)}",
        )
    image = study.views[view]
    if not isinstance(image, Image):
        raise LoadError(source, f"view {view!r} is a volume; this model takes 2D images")
    return image


def _unflip_mean(maps: np.ndarray) -> np.ndarray:
    """Mean over the TTA passes, the mirrored pass mirrored back first."""
    if len(maps) == 2:
        return (maps[0] + maps[1][:, ::-1]) / 2.0
    return maps[0]


def _attention_map(weights: np.ndarray, shape: tuple[int, int], box) -> np.ndarray:  # noqa: ANN001
    """Attention weights (feature grid) -> [0, 1] at the view's size (1 = most attended)."""
    at_view = np.clip(unletterbox(resize_map(weights, shape), box), 0.0, None)
    peak = float(at_view.max())
    return (at_view / peak if peak > 0 else at_view).astype(np.float32)


def _task_words(task: str) -> str:
    return {"image": "one image", "volume": "a volume"}.get(task, task)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()
