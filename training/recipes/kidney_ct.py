"""The kidney-ct volume recipe (method 3 of SCIENCE.md) on synthetic CT, seeded; its command
line is training.make_ct (`make model-ct`).

Data (engine.synth kidney-ct, written once to --work and reused):
- auxiliary: --aux-n volumes from the default scanner (the large public-like set);
- target: 20 volumes from the shifted scanner (sharper kernel, low dose, thick slices);
- test: 30 further shifted volumes, never used for training or calibration.

Recipe "aux+target" (so that the large auxiliary set does not dilute the small target
set): phase 1 draws every batch half from target, half from auxiliary volumes (target
oversampled ~4x relative to its share), phase 2 fine-tunes on target only at a lower
learning rate. Recipe "target" spends the same number of steps on target volumes only.
Loss: cross-entropy + soft Dice on 32×48×48 patches (centred on tumour, kidney or anywhere),
plus the benign/malignant head's cross-entropy on patches that hold tumour.

The radiomics classifier (logistic regression on standardised engine.radiomics features
of the ground-truth tumours of the training volumes: the recipe's volumes) is stored in
model.json as plain numbers, so the engine applies it without scikit-learn.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.atomic import write_json_atomic
from engine.bundle import read_bundle
from engine.datasets.tables import read_table
from engine.io.nifti import read_nifti
from engine.radiomics import FEATURE_NAMES, tumour_features
from engine.synth.kidney_ct import CLASSES, SPACING_MM
from engine.volume.inference import normalise_hu
from training.bundle_writer import add_metrics, model_json, write_bundle
from training.export import OUTPUT_NAMES
from training.fit import fit_temperature
from training.networks.unet3d import UNet3D

PATCH = (32, 48, 48)
HU_WINDOW = (-250.0, 350.0)
LABEL_NAMES = ("background", "kidney", "tumour")
INPUT_NAME = "volume"
AUX_SEED, TARGET_SEED, TEST_SEED = 3100, 3200, 3300
PARITY_TOLERANCE = 1e-3  # a 3D network sums over more voxels than a 2D one


@dataclass
class CTCase:
    case: str
    hu: np.ndarray  # D×H×W float32
    labels: np.ndarray  # D×H×W uint8
    label: int  # index into CLASSES
    spacing_mm: tuple[float, float, float]


@dataclass(frozen=True)
class Config:
    recipe: str = "aux+target"  # or "target"
    aux_n: int = 80
    target_n: int = 20
    test_n: int = 30
    steps: int = 1500
    finetune_fraction: float = 0.3  # aux+target: last part of the steps on target only
    batch: int = 2
    lr: float = 2e-3
    width: int = 8
    seed: int = 0
    patch: tuple[int, int, int] = PATCH


# --- data ------------------------------------------------------------------------------------


def synth_set(work: Path, name: str, n: int, seed: int, shift: bool) -> Path:
    """`lesionlens synth kidney-ct --n N --seed S [--shift]` into work/name, once."""
    from engine.synth.dataset import write_dataset

    folder = work / f"{name}-n{n}-s{seed}"
    if not (folder / "labels.csv").is_file():
        write_dataset("kidney-ct", n, folder, seed=seed, shift=shift)
    return folder


def load_cases(folder: Path) -> list[CTCase]:
    """Every case of a `synth kidney-ct` folder in memory, in labels.csv order."""
    cases = []
    for row in read_table(folder / "labels.csv", ("case", "label")):
        volume = read_nifti(folder / "images" / f"{row['case']}.nii.gz")
        labels = read_nifti(folder / "masks" / f"{row['case']}.nii.gz")
        cases.append(
            CTCase(
                case=row["case"],
                hu=volume.voxels.astype(np.float32),
                labels=labels.voxels.astype(np.uint8),
                label=CLASSES.index(row["label"]),
                spacing_mm=volume.spacing_mm,
            )
        )
    return cases


def sample_patch(
    rng: np.random.Generator, case: CTCase, patch: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A patch centred on tumour (50%), kidney (30%) or anywhere, flipped left-right at
    random, with a small HU offset and extra noise (other scanners, other doses)."""
    u = rng.random()
    target = 2 if u < 0.5 else 1 if u < 0.8 else 0
    where = np.argwhere(case.labels == target) if target else None
    shape = np.array(case.hu.shape)
    size = np.array(patch)
    if where is not None and len(where):
        centre = where[rng.integers(len(where))] + rng.integers(-size // 4, size // 4 + 1)
    else:
        centre = rng.integers(0, shape)
    start = np.clip(centre - size // 2, 0, np.maximum(shape - size, 0))
    box = tuple(slice(s, s + p) for s, p in zip(start, size, strict=True))
    hu, lab = case.hu[box], case.labels[box]
    pad = [(0, p - s) for s, p in zip(hu.shape, size, strict=True)]
    hu = np.pad(hu, pad, constant_values=-1000.0)
    lab = np.pad(lab, pad)
    if rng.random() < 0.5:
        hu, lab = hu[:, :, ::-1], lab[:, :, ::-1]
    hu = hu + rng.uniform(-10, 10)
    if rng.random() < 0.5:
        hu = hu + rng.normal(0, rng.uniform(3, 15), hu.shape)
    return normalise_hu(hu, HU_WINDOW), np.ascontiguousarray(lab)


# --- training --------------------------------------------------------------------------------


def dice_ce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    ce = F.cross_entropy(logits, target)
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * inter + 1.0) / (denom + 1.0)
    return ce + (1 - dice[1:]).mean()


def train_network(
    config: Config,
    aux: list[CTCase],
    target: list[CTCase],
    log: Any = None,
) -> UNet3D:
    """The recipe's schedule; prints one JSON line every 20 steps."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = UNet3D(width=config.width)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
    mixed_steps = (
        int(config.steps * (1 - config.finetune_fraction)) if config.recipe == "aux+target" else 0
    )
    if config.recipe not in ("aux+target", "target"):
        raise ValueError(f"unknown recipe {config.recipe!r}")
    started = time.time()
    net.train()
    for step in range(config.steps):
        mixed = step < mixed_steps and aux
        pool = [
            (aux if mixed and k % 2 else target)[
                rng.integers(len(aux if mixed and k % 2 else target))
            ]
            for k in range(config.batch)
        ]
        lr_scale = 0.5 * (1 + np.cos(np.pi * step / config.steps))
        if config.recipe == "aux+target" and step >= mixed_steps:
            lr_scale *= 0.5  # fine-tuning: gentler
        for group in opt.param_groups:
            group["lr"] = config.lr * lr_scale
        patches = [sample_patch(rng, case, config.patch) for case in pool]
        x = torch.from_numpy(np.stack([p for p, _ in patches])[:, None])
        y = torch.from_numpy(np.stack([lab for _, lab in patches]).astype(np.int64))
        seg, cls = net(x)
        loss = dice_ce_loss(seg, y)
        has_tumour = (y == 2).flatten(1).sum(1) >= 30
        if bool(has_tumour.any()):
            classes = torch.tensor([case.label for case in pool])
            loss = loss + 0.5 * F.cross_entropy(cls[has_tumour], classes[has_tumour])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if log is not None and (step % 20 == 0 or step == config.steps - 1):
            print(
                json.dumps(
                    {
                        "recipe": config.recipe,
                        "step": step,
                        "loss": round(loss.item(), 4),
                        "phase": "mixed" if mixed else "target",
                        "seconds": round(time.time() - started, 1),
                    }
                ),
                file=log,
                flush=True,
            )
    return net.eval()


# The kidney-ct recipe's own temperature range: fitted on training volumes (data the network
# has seen), T in [1, 5] can only soften over-confidence, never sharpen it.
TEMPERATURE_GRID = np.linspace(1.0, 5.0, 41)


def volume_logits(net: UNet3D, cases: list[CTCase]) -> tuple[np.ndarray, np.ndarray]:
    """Class-head logits of whole volumes (one pass each) and the case labels."""
    logits = []
    with torch.no_grad():
        for case in cases:
            x = torch.from_numpy(_fit_shape(normalise_hu(case.hu, HU_WINDOW)))[None, None]
            logits.append(net(x)[1][0].numpy())
    return np.stack(logits), np.array([case.label for case in cases])


def _fit_shape(x: np.ndarray) -> np.ndarray:
    """Pad to the network's divisibility (D by 4, H and W by 8) for a whole-volume pass."""
    pad = [(0, (-n) % m) for n, m in zip(x.shape, UNet3D.total_stride, strict=True)]
    return np.pad(x, pad, constant_values=-1.0).astype(np.float32)


# --- radiomics classifier --------------------------------------------------------------------


def radiomics_table(cases: list[CTCase]) -> tuple[np.ndarray, np.ndarray]:
    """Features of the ground-truth tumours (rows) and the case labels."""
    rows = []
    for case in cases:
        feats = tumour_features(case.hu, case.labels == 2, case.spacing_mm)
        rows.append([feats[name] for name in FEATURE_NAMES])
    return np.asarray(rows, float), np.asarray([case.label for case in cases])


def fit_radiomics_classifier(x: np.ndarray, y: np.ndarray, c: float = 0.5) -> dict[str, Any]:
    """Standardise + L2 logistic regression; returned as the JSON the engine applies."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.where(np.isfinite(x), x, np.nan)
    means = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), means, x)
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    clf = LogisticRegression(C=c, max_iter=2000).fit((x - scaler.mean_) / scale, y)
    return {
        "kind": "logistic_regression",
        "features": list(FEATURE_NAMES),
        "mean": scaler.mean_.tolist(),
        "scale": scale.tolist(),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
        "classes": [CLASSES[int(k)] for k in clf.classes_],
        "regularisation_C": c,
        "training_cases": int(len(y)),
    }


# --- bundle ----------------------------------------------------------------------------------


def bundle_spec(config: Config, temperature: float, radiomics: dict[str, Any]) -> dict[str, Any]:
    return model_json(
        task="volume",
        model_id=f"kidney-ct-{config.recipe.replace('+', '-')}-s{config.seed}",
        architecture="unet3d",
        network_kwargs={"width": config.width, "num_labels": 3, "num_classes": 2},
        inputs=[
            {
                "name": INPUT_NAME,
                "size": config.patch[1],
                "channels": 1,
                "normalisation": {"mode": "hu_window", "hu_window": list(HU_WINDOW)},
            }
        ],
        outputs=OUTPUT_NAMES,
        classes=CLASSES,
        temperature=temperature,
        volume={
            "patch": list(config.patch),
            "overlap": 0.5,
            "spacing_mm": list(SPACING_MM),
            "hu_window": list(HU_WINDOW),
            "label_names": list(LABEL_NAMES),
            "max_components": 2,
            "min_component_fraction": 0.1,
            "min_tumour_fraction": 0.1,
        },
        radiomics=radiomics,
        training={
            "recipe": config.recipe,
            "aux_volumes": config.aux_n if config.recipe == "aux+target" else 0,
            "target_volumes": config.target_n,
            "steps": config.steps,
            "batch": config.batch,
            "seed": config.seed,
            "data": "lesionlens synth kidney-ct: aux seed "
            f"{AUX_SEED} (default scanner), target seed {TARGET_SEED} --shift",
        },
        card={
            "intended_use": "research use; not for diagnosis",
            "training_data": "synthetic kidney CT volumes (engine.synth.kidney_ct), "
            "no patient data",
            "limits": "trained on synthetic volumes only; radiomics classifier fitted on "
            "ground-truth tumours of the training volumes",
        },
    )


# --- evaluation through the engine ----------------------------------------------------------


def evaluate_bundle(bundle: Path, cases: list[CTCase]) -> dict[str, Any]:
    """Dice per label and deep vs radiomics classification, all through engine inference."""
    from engine.inference import load_model
    from engine.types import Volume
    from engine.volume.evaluation import evaluate_volumes

    model = load_model(bundle, device="cpu")
    return evaluate_volumes(
        [
            (c.case, Volume(voxels=c.hu, spacing_mm=c.spacing_mm), c.labels, CLASSES[c.label])
            for c in cases
        ],
        model,
    )


def held_out_metrics(bundle: Path, test: list[CTCase]) -> dict[str, Any]:
    """evaluate_bundle, plus the bundle's radiomics classifier on the true test tumours (what
    radiomics can do when the segmentation is perfect)."""
    from engine.metrics import accuracy, roc_auc
    from engine.radiomics import classifier_probabilities

    result = evaluate_bundle(bundle, test)
    radiomics = read_bundle(bundle).spec.raw["radiomics"]
    x, y = radiomics_table(test)
    p = np.array(
        [
            classifier_probabilities(dict(zip(FEATURE_NAMES, row, strict=True)), radiomics)[
                "malignant"
            ]
            for row in x
        ]
    )
    result["summary"]["accuracy_radiomics_on_true_tumour"] = accuracy(y, (p >= 0.5).astype(int))
    result["summary"]["auc_radiomics_on_true_tumour"] = roc_auc(y, p)
    return result


def predicted_tumour_table(
    model: Any, cases: list[CTCase]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Radiomics of the tumours the bundle itself segments (rows), their labels, and the
    indices of the cases where it found one."""
    from engine.types import Volume
    from engine.volume.inference import predict_volume

    rows, labels, found = [], [], []
    for i, case in enumerate(cases):
        pred = predict_volume(Volume(voxels=case.hu, spacing_mm=case.spacing_mm), model)
        if pred.features:
            rows.append([pred.features[name] for name in FEATURE_NAMES])
            labels.append(case.label)
            found.append(i)
    return np.asarray(rows, float), np.asarray(labels), found


def refit_radiomics(bundle: Path, train: list[CTCase], test: list[CTCase]) -> dict[str, Any]:
    """Fit the radiomics classifier on the ground-truth AND the predicted tumours of the
    training volumes (at run time it only ever sees predicted tumours), store it in the
    bundle (the ground-truth-only one stays as "radiomics_ground_truth_fit"), and score
    both on the predicted test tumours (no tumour found: 0.5)."""
    from engine.inference import load_model
    from engine.metrics import accuracy, roc_auc
    from engine.radiomics import classifier_probabilities

    spec = json.loads((bundle / "model.json").read_text(encoding="utf-8"))
    gt_only = spec.get("radiomics_ground_truth_fit", spec["radiomics"])
    model = load_model(bundle, device="cpu")
    gt_x, gt_y = radiomics_table(train)
    pred_x, pred_y, _ = predicted_tumour_table(model, train)
    both = fit_radiomics_classifier(np.vstack([gt_x, pred_x]), np.concatenate([gt_y, pred_y]))
    both["fitted_on"] = "ground-truth and predicted tumours of the training volumes"
    gt_only["fitted_on"] = "ground-truth tumours of the training volumes"
    test_x, _, found = predicted_tumour_table(model, test)
    y = np.array([case.label for case in test])
    scores: dict[str, Any] = {}
    for name, classifier in (("gt_fit", gt_only), ("gt_and_predicted_fit", both)):
        p = np.full(len(test), 0.5)
        for row, i in zip(test_x, found, strict=True):
            feats = dict(zip(FEATURE_NAMES, row, strict=True))
            p[i] = classifier_probabilities(feats, classifier)["malignant"]
        scores[f"accuracy_radiomics_{name}"] = accuracy(y, (p >= 0.5).astype(int))
        scores[f"auc_radiomics_{name}"] = roc_auc(y, p)
    spec["radiomics"], spec["radiomics_ground_truth_fit"] = both, gt_only
    write_json_atomic(bundle / "model.json", spec)
    add_metrics(
        bundle,
        {
            **scores,
            "accuracy_radiomics": scores["accuracy_radiomics_gt_and_predicted_fit"],
            "auc_radiomics": scores["auc_radiomics_gt_and_predicted_fit"],
        },
    )
    return scores


# --- the whole recipe ------------------------------------------------------------------------


def recipe_cases(config: Config, work: Path) -> tuple[list[CTCase], list[CTCase], list[CTCase]]:
    """The target, auxiliary (none for recipe "target") and test volumes, synthesised into
    `work` once."""
    work.mkdir(parents=True, exist_ok=True)
    target = load_cases(synth_set(work, "target", config.target_n, TARGET_SEED, shift=True))
    aux = (
        load_cases(synth_set(work, "aux", config.aux_n, AUX_SEED, shift=False))
        if config.recipe == "aux+target"
        else []
    )
    test = load_cases(synth_set(work, "test", config.test_n, TEST_SEED, shift=True))
    return target, aux, test


def build(config: Config, out: Path, work: Path, log: Any = sys.stderr) -> dict[str, Any]:
    """Data, network, temperature, radiomics classifier, bundle, held-out metrics."""
    torch.set_num_threads(1)
    target, aux, test = recipe_cases(config, work)
    net = train_network(config, aux, target, log=log)
    temperature = fit_temperature(*volume_logits(net, target), grid=TEMPERATURE_GRID)
    x, y = radiomics_table(target + aux)
    radiomics = fit_radiomics_classifier(x, y)
    spec = bundle_spec(config, temperature, radiomics)
    write_bundle(net, out, spec, {"status": "evaluating"}, tolerance=PARITY_TOLERANCE)
    result = held_out_metrics(out, test)
    metrics = {
        "data_set": f"synth kidney-ct --shift seed {TEST_SEED}, {config.test_n} volumes",
        "temperature": temperature,
        **result["summary"],
    }
    add_metrics(out, {**metrics, "status": "held-out test"})
    metrics.update(refit_radiomics(out, target + aux, test))
    return {"config": config.__dict__, "metrics": metrics, "cases": result["cases"]}
