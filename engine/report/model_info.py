"""Which model produced a result, as reports and DICOM algorithm identification need it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOFTWARE_NAME = "LesionLens"


@dataclass(frozen=True)
class ModelInfo:
    """model_id and version go into SEG/SR algorithm identification and the PDF footer."""

    model_id: str
    version: str
    classes: tuple[str, ...] = ("benign", "malignant")
    intended_use: str = "research use; not for diagnosis"
    training_data: str = ""

    @classmethod
    def from_spec(cls, spec: Any) -> ModelInfo:  # noqa: ANN401 - engine.bundle.ModelSpec
        return cls(
            model_id=str(spec.model_id),
            version=str(spec.version),
            classes=tuple(spec.classes),
            intended_use=str(spec.intended_use),
            training_data=str(spec.card.get("training_data", "")),
        )


def software_version() -> str:
    """The installed lesionlens version (DICOM SoftwareVersions of what we write)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lesionlens")
    except PackageNotFoundError:
        return "0"
