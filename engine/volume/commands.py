"""The volume side of `lesionlens analyze / evaluate / export` (CT kidney and tumour).

engine.cli hands over here when an input is a volume (NIfTI, a folder holding a CT/MR slice
series, an enhanced multi-frame CT/MR); `evaluate` takes only volume_model from here (the
loop is engine.evaluation's). The model is --model or the shipped volume bundle
(engine.model_lookup.find_model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.batch import run_cases
from engine.case_kind import VOLUME
from engine.errors import LoadError
from engine.inference import LoadedModel
from engine.types import Volume, VolumePrediction


def volume_model(model_dir: Path | None, device: str = "auto") -> LoadedModel:
    """--model (a volume bundle) or the shipped volume bundle (engine.model_lookup)."""
    from engine.model_lookup import find_model

    return find_model(VOLUME, model_dir, device=device)


def load_volume(path: Path) -> Volume:
    from engine.io import load_any

    loaded = load_any(path)
    if not isinstance(loaded, Volume):
        raise LoadError(path, "not a volume (expected NIfTI or a CT/MR series)")
    return loaded


def volume_name(path: Path) -> str:
    name = path.name
    return name[: -len(".nii.gz")] if name.lower().endswith(".nii.gz") else path.stem or name


def describe(prediction: VolumePrediction) -> str:
    volumes = ", ".join(f"{k} {v:.1f} mL" for k, v in prediction.volumes_ml.items())
    deep = ", ".join(f"{k} {v:.0%}" for k, v in prediction.probabilities.items())
    rad = ", ".join(f"{k} {v:.0%}" for k, v in prediction.radiomics_probabilities.items())
    return f"{volumes}; deep: {deep}; radiomics: {rad or 'no tumour found'}"


def analyze_volumes(args: argparse.Namespace) -> int:
    """DIR/<name>/volume.json (and labels.nii.gz with --labels-nifti) per input volume."""
    from engine.report.model_info import ModelInfo
    from engine.report.volume_export import VolumeExportRequest, export_volume
    from engine.volume.inference import predict_volume

    model = volume_model(args.model, args.device)

    def step(path: Path) -> str:
        out = args.out / volume_name(path)
        volume = load_volume(path)
        prediction = predict_volume(volume, model)
        request = VolumeExportRequest(
            json=out / "volume.json",
            labels_nifti=out / "labels.nii.gz" if args.labels_nifti else None,
            deidentify=False,
        )
        export_volume(volume, prediction, ModelInfo.from_spec(model.spec), request)
        return f"{path.name}: {describe(prediction)} -> {out}"

    return run_cases(args.inputs, step, str, "analysing")


def export_volumes(args: argparse.Namespace) -> int:
    """SEG (two segments) + JSON (+ labels NIfTI) per volume; PDF/SR/key image are 2D."""
    from engine.report import ModelInfo
    from engine.report.volume_export import VolumeExportRequest, export_volume
    from engine.volume.inference import predict_volume

    wanted_2d = [n for n in ("pdf", "sr", "key_image", "csv") if getattr(args, n) is not None]
    if wanted_2d:
        print(
            f"lesionlens: error: --{wanted_2d[0].replace('_', '-')} is for images; "
            "a volume exports --seg and --json",
            file=sys.stderr,
        )
        return 2
    model = volume_model(args.model, args.device)
    info = ModelInfo.from_spec(model.spec)
    seg, js = args.seg, args.json
    if seg is None and js is None:
        seg, js = Path("seg.dcm"), Path("volume.json")

    def step(item: tuple[Path, str]) -> str:
        path, name = item  # name: case001... when de-identifying, so no file name is printed
        out = args.out / name if len(args.inputs) > 1 else args.out
        request = VolumeExportRequest(
            seg=out / seg if seg is not None else None,
            json=out / js if js is not None else None,
            deidentify=args.deidentify,
        )
        volume = load_volume(path)
        prediction = predict_volume(volume, model)
        result = export_volume(volume, prediction, info, request)
        shown = [p for p in result.written if "source_ct" not in p.parts]
        return f"{name}: {describe(prediction)} -> {', '.join(str(p) for p in shown)}"

    items = [
        (path, f"case{i:03d}" if args.deidentify else volume_name(path))
        for i, path in enumerate(args.inputs, start=1)
    ]
    return run_cases(items, step, lambda item: item[1], "exporting")
