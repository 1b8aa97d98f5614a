"""PacsError: one clear line naming the PACS node and the reason, never a credential."""

from __future__ import annotations

from engine.errors import LesionLensError


class PacsError(LesionLensError):
    """A PACS could not be reached, refused us, answered badly or gave a study only partly.

    node: the node's name as the user gave it; reason: what went wrong, in words a reader
    can act on (server down, association rejected, timed out, malformed answer, ...)."""

    def __init__(self, node: str, reason: str) -> None:
        self.node = node
        self.reason = reason
        super().__init__(f"PACS {node}: {reason}")


class PartialRetrieveError(PacsError):
    """Some instances of a study arrived and are stored; the others did not. Retrieving the
    study again fetches only the missing ones."""

    def __init__(self, node: str, study_uid: str, have: int, total: int, why: str = "") -> None:
        self.study_uid, self.have, self.total = study_uid, have, total
        reason = f"study {study_uid} retrieved partly ({have} of {total} instances)"
        if why:
            reason += f": {why}"
        super().__init__(node, reason + "; retrieve it again to fetch the rest")
