"""The one error an export raises on purpose: which output could not be written, and why."""

from __future__ import annotations

from engine.errors import LesionLensError


class ExportError(LesionLensError):
    """An output cannot be produced honestly (e.g. burned-in text that cannot be blanked)."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"{what}: {reason}")
