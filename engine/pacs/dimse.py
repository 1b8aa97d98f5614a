"""Classic DICOM networking with pynetdicom: C-ECHO, C-FIND (study, series, image level),
C-GET (instances come back over the same association) and C-STORE.

Association problems become PacsErrors naming the node and the reason: nothing listens on
the port, the PACS rejected the association (most often our AE title or its AE title is not
what it expects), no answer within the node's timeout, or the association was lost.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)
from pynetdicom import AE, build_role, evt
from pynetdicom.association import Association
from pynetdicom.pdu import A_ASSOCIATE_RJ
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)

from engine.pacs.errors import PacsError
from engine.pacs.nodes import PacsNode
from engine.pacs.query import (
    INSTANCE_FIELDS,
    SERIES_FIELDS,
    STUDY_FIELDS,
    InstanceRef,
    SeriesResult,
    StudyQuery,
    StudyResult,
    instance_ref,
    series_result,
    study_result,
)

SUCCESS, PENDING, WARNING, CANCELLED = 0x0000, (0xFF00, 0xFF01), 0xB000, 0xFE00
STORE_WARNINGS = (0xB000, 0xB006, 0xB007)
UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian]
# Compressed syntaxes we accept in C-GET, each in a presentation context of its own: an SCP
# picks one syntax per context, and a context per syntax lets it send what it stores
# (a JPEG cine stays JPEG) instead of transcoding to little endian.
COMPRESSED = [
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEG2000Lossless,
    JPEG2000,
    RLELossless,
]
# The storage SOP classes a C-GET may bring (SCP role). Images get the compressed contexts
# too; 16 x 7 + 7 + the C-GET context = 120 of the 128 an association may propose.
IMAGE_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image
    "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image
    "1.2.840.10008.5.1.4.1.1.4",  # MR Image
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR Image
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture
    "1.2.840.10008.5.1.4.1.1.7.2",  # Multi-frame Grayscale Byte SC
    "1.2.840.10008.5.1.4.1.1.7.4",  # Multi-frame True Color SC
    "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography
    "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray (presentation)
    "1.2.840.10008.5.1.4.1.1.1.2",  # Digital Mammography (presentation)
    "1.2.840.10008.5.1.4.1.1.20",  # Nuclear Medicine
    "1.2.840.10008.5.1.4.1.1.128",  # PET
    "1.2.840.10008.5.1.4.1.1.77.1.4",  # VL Photographic
    "1.2.840.10008.5.1.4.1.1.12.1",  # X-Ray Angiographic
)
OTHER_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.59",  # Key Object Selection
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
)
GET_STORAGE_CLASSES = IMAGE_CLASSES + OTHER_CLASSES


def get_contexts(ae: AE) -> list:
    """Request the C-GET context and every storage context; returns the role items."""
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for uid in GET_STORAGE_CLASSES:
        ae.add_requested_context(uid, UNCOMPRESSED)
    for uid in IMAGE_CLASSES:
        for syntax in COMPRESSED:
            ae.add_requested_context(uid, syntax)
    return [build_role(uid, scp_role=True) for uid in GET_STORAGE_CLASSES]


class DimseConnection:
    def __init__(self, node: PacsNode) -> None:
        self.node = node

    def close(self) -> None:
        pass

    def __enter__(self) -> DimseConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- association ---------------------------------------------------------------------

    def _ae(self) -> AE:
        ae = AE(ae_title=self.node.calling_ae_title)
        t = self.node.timeout_s
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = ae.connection_timeout = t
        return ae

    def _associate(self, ae: AE, ext_neg: list | None = None, handlers=None) -> Association:  # noqa: ANN001
        node = self.node
        started = time.monotonic()
        # A PACS that rejects often closes the connection right after its A-ASSOCIATE-RJ;
        # pynetdicom then sometimes (about 1 in 20 against Orthanc) reports an abort although
        # the reject arrived. Noting the PDU itself keeps "rejected" the answer every time.
        received: list[object] = []
        noted = [(evt.EVT_PDU_RECV, lambda event: received.append(event.pdu))]
        assoc = ae.associate(
            node.host,
            int(node.port),
            ae_title=node.ae_title,
            ext_neg=ext_neg,
            evt_handlers=[*(handlers or []), *noted],
        )
        if assoc.is_established:
            assoc.unbind(evt.EVT_PDU_RECV, noted[0][1])
            return assoc
        if assoc.is_rejected or any(isinstance(pdu, A_ASSOCIATE_RJ) for pdu in received):
            raise PacsError(
                node.name,
                f"association rejected by {node.address}: check the PACS AE title "
                f"{node.ae_title!r} and that it accepts our AE title {node.calling_ae_title!r}",
            )
        if time.monotonic() - started >= node.timeout_s * 0.9:
            raise PacsError(
                node.name, f"no answer from {node.address} within {node.timeout_s:g} s (timeout)"
            )
        raise PacsError(node.name, self._why_unreachable())

    def _why_unreachable(self) -> str:
        node = self.node
        try:
            with socket.create_connection((node.host, int(node.port)), timeout=node.timeout_s):
                pass
        except TimeoutError:
            return f"no answer from {node.host}:{node.port} within {node.timeout_s:g} s (timeout)"
        except ConnectionRefusedError:
            return f"nothing listens on {node.host}:{node.port} (PACS down or wrong port)"
        except OSError as exc:
            return f"cannot connect to {node.host}:{node.port} ({exc.strerror or exc})"
        return f"association with {node.address} aborted (is it a DICOM server?)"

    @contextmanager
    def _association(self, ae: AE, ext_neg=None, handlers=None) -> Iterator[Association]:  # noqa: ANN001
        assoc = self._associate(ae, ext_neg, handlers)
        try:
            yield assoc
        except BaseException:
            assoc.abort()
            raise
        else:
            assoc.release()

    def _lost(self, what: str) -> PacsError:
        return PacsError(
            self.node.name,
            f"{what}: no answer within {self.node.timeout_s:g} s, or the association was lost",
        )

    # -- services ------------------------------------------------------------------------

    def echo(self) -> None:
        ae = self._ae()
        ae.add_requested_context(Verification)
        with self._association(ae) as assoc:
            status = assoc.send_c_echo()
            if not status:
                raise self._lost("C-ECHO")
            if status.Status != SUCCESS:
                raise PacsError(self.node.name, f"C-ECHO answered status 0x{status.Status:04X}")

    def _find(self, what: str, identifier: Dataset) -> list[Dataset]:
        ae = self._ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        answers: list[Dataset] = []
        with self._association(ae) as assoc:
            for status, found in assoc.send_c_find(
                identifier, StudyRootQueryRetrieveInformationModelFind
            ):
                if not status:
                    raise self._lost(what)
                if status.Status in PENDING:
                    if found is None:
                        raise PacsError(self.node.name, f"{what}: a match without an identifier")
                    answers.append(found)
                elif status.Status != SUCCESS:
                    raise PacsError(
                        self.node.name, f"{what} failed with status 0x{status.Status:04X}"
                    )
        return answers

    def _read(self, what: str, answers: list[Dataset], read):  # noqa: ANN001, ANN202
        try:
            return [read(ds) for ds in answers]
        except (ValueError, TypeError, AttributeError) as exc:
            raise PacsError(self.node.name, f"{what}: malformed C-FIND answer ({exc})") from exc

    def find_studies(self, query: StudyQuery) -> list[StudyResult]:
        query = query.checked()
        identifier = _identifier("STUDY", STUDY_FIELDS)
        for keyword, value in query.filters().items():
            setattr(identifier, keyword, value)
        answers = self._find("C-FIND (study)", identifier)
        if query.limit:
            answers = answers[: query.limit]
        return self._read("C-FIND (study)", answers, study_result)

    def find_series(self, study_uid: str) -> list[SeriesResult]:
        identifier = _identifier("SERIES", SERIES_FIELDS)
        identifier.StudyInstanceUID = study_uid
        answers = self._find("C-FIND (series)", identifier)
        return self._read("C-FIND (series)", answers, lambda ds: series_result(ds, study_uid))

    def list_instances(self, study_uid: str) -> list[InstanceRef]:
        identifier = _identifier("IMAGE", INSTANCE_FIELDS)
        identifier.StudyInstanceUID = study_uid
        answers = self._find("C-FIND (image)", identifier)
        return self._read("C-FIND (image)", answers, lambda ds: instance_ref(ds, study_uid))

    def fetch(self, refs: Sequence[InstanceRef], whole_series: set[str]) -> Iterator[bytes]:
        """C-GET: one SERIES-level request per series in `whole_series` (nothing of it on
        disk yet), one IMAGE-level request per other instance (resuming a partial study)."""
        if not refs:
            return
        received: deque[bytes] = deque()
        lock = threading.Lock()

        def on_store(event: evt.Event) -> int:
            data = event.encoded_dataset(include_meta=True)
            with lock:
                received.append(data)
            return SUCCESS

        ae = self._ae()
        roles = get_contexts(ae)
        requests: list[Dataset] = []
        asked: set[str] = set()
        for ref in refs:
            if ref.series_uid not in whole_series:
                requests.append(_get_identifier(ref))
            elif ref.series_uid not in asked:
                asked.add(ref.series_uid)
                requests.append(_get_identifier(ref, level="SERIES"))
        failures: list[str] = []
        with self._association(ae, roles, [(evt.EVT_C_STORE, on_store)]) as assoc:
            for identifier in requests:
                for status, _ in assoc.send_c_get(
                    identifier, StudyRootQueryRetrieveInformationModelGet
                ):
                    while received:
                        with lock:
                            data = received.popleft()
                        yield data
                    if not status:
                        raise self._lost("C-GET")
                    code = status.Status
                    if code in PENDING or code == SUCCESS:
                        continue
                    failed = status.get("NumberOfFailedSuboperations", 0)
                    failures.append(
                        f"C-GET status 0x{code:04X}"
                        + (f", {failed} sub-operation(s) failed" if failed else "")
                    )
                while received:
                    with lock:
                        data = received.popleft()
                    yield data
        if failures:
            raise PacsError(self.node.name, "; ".join(dict.fromkeys(failures)))

    def store(self, datasets: Sequence[Dataset]) -> None:
        ae = self._ae()
        contexts: dict[str, list[str]] = {}
        for ds in datasets:
            syntax = str(ds.file_meta.TransferSyntaxUID)
            syntaxes = contexts.setdefault(str(ds.SOPClassUID), list(UNCOMPRESSED))
            if syntax not in syntaxes:
                syntaxes.insert(0, syntax)
        if len(contexts) > 127:
            raise PacsError(self.node.name, "more than 127 kinds of instance in one send")
        for sop_class, syntaxes in contexts.items():
            ae.add_requested_context(sop_class, syntaxes)
        with self._association(ae) as assoc:
            for ds in datasets:
                status = assoc.send_c_store(ds)
                if not status:
                    raise self._lost(f"C-STORE of {ds.SOPInstanceUID}")
                code = status.Status
                if code != SUCCESS and code not in STORE_WARNINGS:
                    raise PacsError(
                        self.node.name,
                        f"C-STORE of {ds.SOPInstanceUID} refused with status 0x{code:04X}",
                    )


def _identifier(level: str, fields: Sequence[str]) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword in fields:
        setattr(ds, keyword, "")
    return ds


def _get_identifier(ref: InstanceRef, level: str = "IMAGE") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    ds.StudyInstanceUID = ref.study_uid
    ds.SeriesInstanceUID = ref.series_uid
    if level == "IMAGE":
        ds.SOPInstanceUID = ref.sop_uid
    return ds
