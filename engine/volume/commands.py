"""The volume side of `lesionlens analyze / evaluate / export` (CT kidney and tumour), used by
the volume task (engine.tasks.volume): reading a volume, its name, its model and its batch
line. An input is a volume when it is NIfTI, a folder holding a CT/MR slice series or an
enhanced multi-frame CT/MR (engine.case_kind). The model is --model or the shipped volume
bundle (engine.model_lookup.find_model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    """DIR/<name>/volume.json (and labels.nii.gz with --labels-nifti) per input volume: the
    analyse loop of every kind (engine.tasks.run) with the volume task."""
    from engine.tasks import AnalyseRequest, analyse_cases
    from engine.tasks.volume import VolumeTask

    task, request = VolumeTask(), AnalyseRequest.from_args(args)
    return analyse_cases(task, task.analyse_batch(args.inputs, request), request)


def export_volumes(args: argparse.Namespace) -> int:
    """SEG (two segments) + JSON (+ labels NIfTI) per volume; PDF/SR/key image are 2D
    (engine.tasks.volume). Exit status 2 after one line for an image-only output."""
    from engine.tasks import BatchRefused, ExportBatchRequest
    from engine.tasks.volume import VolumeTask

    try:
        return VolumeTask().export(args.inputs, ExportBatchRequest.from_args(args))
    except BatchRefused as exc:
        print(f"lesionlens: error: {exc}", file=sys.stderr)
        return 2
