"""PACS: search, retrieve and store over DICOMweb (dicomweb-client) and classic DICOM
(pynetdicom), for the CLI (`lesionlens pacs ...`) and the GUI's PACS browser alike.

    nodes = NodeBook()                       # the user's nodes, <config>/pacs_nodes.json
    with connect(nodes.get("hospital")) as pacs:
        studies = pacs.find_studies(StudyQuery(patient_id="123"))
    for progress in retrieve_study(node, uid): ...   # atomic per instance, resumable
    yield from send_files(node, [seg, sr, sc])

Every failure is a PacsError: "PACS <node>: <reason>".
"""

from engine.pacs.client import PacsConnection, check_connection, connect
from engine.pacs.errors import PacsError, PartialRetrieveError
from engine.pacs.nodes import HttpAuth, NodeBook, NodeConfigError, PacsNode, Secret
from engine.pacs.query import QueryError, SeriesResult, StudyQuery, StudyResult
from engine.pacs.retrieve import RetrievedStudy, RetrieveProgress, retrieve_study, retrieved_root
from engine.pacs.send import SendResult, send_files

__all__ = [
    "HttpAuth",
    "NodeBook",
    "NodeConfigError",
    "PacsConnection",
    "PacsError",
    "PacsNode",
    "PartialRetrieveError",
    "QueryError",
    "RetrieveProgress",
    "RetrievedStudy",
    "Secret",
    "SendResult",
    "SeriesResult",
    "StudyQuery",
    "StudyResult",
    "connect",
    "retrieve_study",
    "retrieved_root",
    "send_files",
    "check_connection",
]
