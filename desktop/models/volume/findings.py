"""The words and numbers of the volume finding: tumour class, volumes per label. Qt-free.

The class comes from the volume model (deep head, and the radiomics classifier when the bundle
has one); the volumes are always those of the labels on screen, so they follow every edit,
with the AI's own volumes beside them for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from desktop.models.volume.display import format_ml
from engine.types import VolumePrediction


@dataclass(frozen=True)
class VolumeRow:
    value: int
    name: str
    ml: str  # the labels on screen
    ai_ml: str  # the model's output, "–" before an analysis


def volume_rows(
    label_names: Sequence[str],
    volumes_ml: Mapping[str, float],
    ai_volumes_ml: Mapping[str, float] | None = None,
) -> list[VolumeRow]:
    rows = []
    for value, name in enumerate(label_names):
        if value == 0:
            continue
        ai = ai_volumes_ml.get(name) if ai_volumes_ml is not None else None
        rows.append(VolumeRow(value, name, format_ml(volumes_ml.get(name, 0.0)), format_ml(ai)))
    return rows


def probability_text(probabilities: Mapping[str, float]) -> str:
    """The most likely class first: "malignant 0.83 (benign 0.17)"."""
    if not probabilities:
        return "–"
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    head = f"{ranked[0][0]} {ranked[0][1]:.2f}"
    rest = ", ".join(f"{name} {p:.2f}" for name, p in ranked[1:])
    return f"{head} ({rest})" if rest else head


def finding_lines(prediction: VolumePrediction | None, edited: bool) -> list[tuple[str, str]]:
    """(field, value) lines of the finding panel."""
    if prediction is None:
        return [("Tumour class", "not analysed yet (Analyze volume)")]
    lines = [("Tumour class", probability_text(prediction.probabilities))]
    radiomics = prediction.radiomics_probabilities
    if radiomics:
        lines.append(("Radiomics", probability_text(radiomics)))
        deep_label = max(prediction.probabilities, key=prediction.probabilities.__getitem__)
        radiomics_label = max(radiomics, key=radiomics.__getitem__)
        if deep_label == radiomics_label:
            lines.append(("Result", f"{deep_label}: the deep classifier's class; radiomics agrees"))
        else:
            lines.append(
                (
                    "Result",
                    f"{deep_label} (the deep classifier's class); radiomics says "
                    f"{radiomics_label}: the two disagree, read the tumour yourself",
                )
            )
    lines.append(("Model", prediction.model_id))
    if edited:
        lines.append(("Labels", "corrected by the reader (the class is the model's)"))
    return lines
