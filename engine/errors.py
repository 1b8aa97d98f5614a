"""Typed errors raised at the boundary, so callers can show one clear line per problem."""

from __future__ import annotations

from pathlib import Path


class LesionLensError(Exception):
    """Base of every error LesionLens raises on purpose."""


class LoadError(LesionLensError):
    """An input file could not be read as an image; carries the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ImageError(LesionLensError):
    """An image (or a crop of it) that cannot be analysed: no pixels at all. Readers should
    never return one; this is the clear line when something does."""


class BundleError(LesionLensError):
    """A model bundle is missing, incomplete or inconsistent with its spec."""

    def __init__(self, bundle_dir: str | Path, reason: str) -> None:
        self.bundle_dir = Path(bundle_dir)
        self.reason = reason
        super().__init__(f"model bundle {self.bundle_dir}: {reason}")


class DatasetError(LesionLensError):
    """A data set folder does not follow the canonical layout."""


class TableError(DatasetError):
    """A data set's CSV table (labels, split, views, meta) cannot be read or lacks columns.
    Carries the file and the reason apart, so a reader that answers with LoadError (the
    study loader, for the GUI and the CLI) can pass both on unchanged."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class MeasurementError(LesionLensError):
    """A measurement cannot be made in mm: the points span two regions or lie outside any
    calibrated area. Says why, so the GUI can show it instead of a wrong number."""


class DeviceError(LesionLensError):
    """The requested compute device is not available in this installation."""
