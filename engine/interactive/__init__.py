"""Click to segment: prompted lesion outlines (engine.interactive.model on onnxruntime) and
the click simulator shared with training and the bench (engine.interactive.clicks)."""

from engine.interactive.clicks import Box, Click, first_click, iou, largest_object, next_click
from engine.interactive.model import (
    EncodedImage,
    InteractiveModel,
    Segmentation,
    interactive_bundle_dir,
    read_interactive_bundle,
)

__all__ = [
    "Box",
    "Click",
    "EncodedImage",
    "InteractiveModel",
    "Segmentation",
    "first_click",
    "interactive_bundle_dir",
    "iou",
    "largest_object",
    "next_click",
    "read_interactive_bundle",
]
