"""Whether the model was made for the image on screen, from its bundle's declared views.

model.json lists the kinds of image a model was trained on ("views": ["us"] is B-mode
ultrasound). On anything else (a CT or MR volume slice, a CT or X-ray image) the network still
outputs a mask and a class, but they mean nothing; so the desktop shows such an image without
AI and says why, unless a researcher asks for the model anyway. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.inference import LoadedModel
from engine.types import Image

VIEW_NAMES = {"us": "ultrasound"}


@dataclass(frozen=True)
class DomainMismatch:
    model_id: str
    what: str  # "a CT volume slice", "a CR image"
    views: tuple[str, ...]

    @property
    def made_for(self) -> str:
        return " and ".join(VIEW_NAMES.get(v, v) for v in self.views)

    def reason(self) -> str:
        """Why the image is shown without AI (the findings panel's note)."""
        return (
            f"Not analysed: this is {self.what}, and {self.model_id} was made for "
            f"{self.made_for} images only (model.json views: {', '.join(self.views)})."
        )

    def warning(self) -> str:
        """The note next to findings a researcher asked for anyway."""
        return (
            f"Out of domain: {self.model_id} was trained on {self.made_for} only and this is "
            f"{self.what}; treat its output here as meaningless."
        )


def image_view(image: Image, volume: bool = False) -> tuple[str | None, str]:
    """(the view name this image would have in a bundle's "views", a description). The name
    is None when the file does not say (a PNG or JPEG): such images are taken as they come."""
    modality = str(image.metadata.get("Modality", "")).strip().upper()
    if volume:
        return (modality.lower() if modality not in ("", "US") else "volume"), (
            f"a {modality} volume slice" if modality else "a volume slice"
        )
    if not modality:
        return None, "an image"
    return modality.lower(), ("an ultrasound image" if modality == "US" else f"a {modality} image")


def domain_mismatch(
    model: LoadedModel | None, image: Image | None, volume: bool = False
) -> DomainMismatch | None:
    """None when the model may analyse the image (or the bundle declares no views)."""
    if model is None or image is None:
        return None
    views = tuple(str(v).lower() for v in model.spec.raw.get("views") or ())
    view, what = image_view(image, volume)
    if not views or view is None or view in views:
        return None
    return DomainMismatch(model.spec.model_id, what, views)
