"""One connection type per kind of node; both answer the same calls (PacsConnection)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pydicom.dataset import Dataset

from engine.pacs.nodes import PacsNode
from engine.pacs.query import InstanceRef, SeriesResult, StudyQuery, StudyResult


class PacsConnection(Protocol):
    node: PacsNode

    def echo(self) -> None: ...
    def find_studies(self, query: StudyQuery) -> list[StudyResult]: ...
    def find_series(self, study_uid: str) -> list[SeriesResult]: ...
    def list_instances(self, study_uid: str) -> list[InstanceRef]: ...
    def fetch(self, refs: Sequence[InstanceRef], whole_series: set[str]) -> Iterator[bytes]: ...
    def store(self, datasets: Sequence[Dataset]) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> PacsConnection: ...
    def __exit__(self, *exc: object) -> None: ...


def connect(node: PacsNode) -> PacsConnection:
    """A DICOMweb or DIMSE connection for the node (nothing is sent until the first call)."""
    node = node.validated()
    if node.kind == "dicomweb":
        from engine.pacs.dicomweb import DicomWebConnection

        return DicomWebConnection(node)
    from engine.pacs.dimse import DimseConnection

    return DimseConnection(node)


def check_connection(node: PacsNode) -> str:
    """C-ECHO, or a one-study QIDO search: "OK" text, or a PacsError saying why not."""
    with connect(node) as connection:
        connection.echo()
    verb = "C-ECHO" if node.kind == "dimse" else "QIDO-RS search"
    return f"{node.name}: {verb} to {node.address} succeeded"
