"""The datastore's typed error: which file or case, and why."""

from __future__ import annotations

from engine.errors import LesionLensError


class DatastoreError(LesionLensError):
    """The datastore cannot do what was asked (unknown case, mask of the wrong size, a pinned
    label that changed, an index written by a newer version). The message says which and why."""
