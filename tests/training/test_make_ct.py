"""The kidney-ct recipe end to end at toy size: data, a few steps, bundle, engine prediction."""

from __future__ import annotations

import json
from pathlib import Path

from training.recipes.kidney_ct import Config, build


def _small_synth_set(work: Path, name: str, n: int, seed: int, shift: bool) -> Path:
    """Like `lesionlens synth kidney-ct`, on a quarter of the field of view (speed)."""
    from engine.atomic import write_csv_atomic
    from engine.synth.dataset import case_rng
    from engine.synth.kidney_ct import DEFAULT_CT, SHIFTED_CT, generate_kidney_ct
    from engine.synth.nifti_out import write_nifti

    folder = work / f"{name}-n{n}-s{seed}"
    rows = []
    for i in range(n):
        case, label = f"{name}{i}", ("benign", "malignant")[i % 2]
        profile = SHIFTED_CT if shift else DEFAULT_CT
        sample = generate_kidney_ct(case_rng(seed, i), label, profile, shape=(24, 48, 96))
        write_nifti(folder / "images" / f"{case}.nii.gz", sample.volume, sample.spacing_mm)
        write_nifti(folder / "masks" / f"{case}.nii.gz", sample.labels, sample.spacing_mm)
        rows.append((case, label))
    write_csv_atomic(folder / "labels.csv", ("case", "label"), rows)
    return folder


def test_tiny_ct_bundle_trains_and_predicts_through_onnxruntime(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    import training.recipes.kidney_ct

    monkeypatch.setattr(training.recipes.kidney_ct, "synth_set", _small_synth_set)
    from engine.bundle import read_bundle
    from engine.inference import load_model
    from engine.io import read_nifti
    from engine.volume.inference import predict_volume

    config = Config(aux_n=1, target_n=2, test_n=1, steps=2, width=4, patch=(16, 32, 32))
    result = build(config, tmp_path / "bundle", tmp_path / "work", log=None)

    bundle = read_bundle(tmp_path / "bundle")
    assert bundle.spec.task == "volume"
    assert bundle.spec.raw["volume"]["label_names"] == ["background", "kidney", "tumour"]
    radiomics = bundle.spec.raw["radiomics"]
    assert len(radiomics["coef"][0]) == len(radiomics["features"]) == len(radiomics["mean"])
    # shipped: fitted on ground-truth + predicted training tumours; the GT-only fit is kept
    assert bundle.spec.raw["radiomics_ground_truth_fit"]["training_cases"] == 3  # 2 + 1 aux
    assert 3 <= radiomics["training_cases"] <= 6
    metrics = json.loads((tmp_path / "bundle" / "metrics.json").read_text())
    assert metrics["onnx_parity_max_abs"] < 1e-3
    assert {"dice_kidney", "dice_tumour", "accuracy_deep", "accuracy_radiomics"} <= set(metrics)
    assert {"auc_radiomics_gt_fit", "auc_radiomics_gt_and_predicted_fit"} <= set(metrics)
    assert result["metrics"]["cases"] == 1
    size = sum(p.stat().st_size for p in (tmp_path / "bundle").iterdir())
    assert size < 20 * 2**20

    test_dir = next((tmp_path / "work").glob("test-*"))
    volume = read_nifti(next((test_dir / "images").iterdir()))
    pred = predict_volume(volume, load_model(tmp_path / "bundle", device="cpu"))
    assert pred.labels.shape == volume.voxels.shape
    assert abs(sum(pred.probabilities.values()) - 1) < 1e-6
