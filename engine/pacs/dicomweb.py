"""DICOMweb (QIDO-RS search, WADO-RS retrieve, STOW-RS store) with dicomweb-client.

Every failure of the transport or of the answer becomes one PacsError naming the node and
the reason; the HTTP credentials go into a requests auth object, never into the URL, the
request headers dicomweb-client logs, or a message.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import requests
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

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

T = TypeVar("T")
# Answers that cannot be decoded as DICOM JSON or multipart DICOM.
# WADO-RS: the instances as the PACS stores them (a JPEG cine stays JPEG); without this a
# server sends Explicit VR Little Endian, decompressing on the way.
AS_STORED = (("application/dicom", "*"),)
MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError, InvalidDicomError)


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def session_for(node: PacsNode) -> requests.Session:
    session = requests.Session()
    if node.auth.kind == "basic":
        session.auth = requests.auth.HTTPBasicAuth(node.auth.username, node.auth.secret.reveal())
    elif node.auth.kind == "bearer":
        session.auth = BearerAuth(node.auth.secret.reveal())
    return session


def http_reason(exc: requests.HTTPError) -> str:
    response = exc.response
    code = response.status_code if response is not None else 0
    if code in (401, 403):
        return f"authentication refused (HTTP {code}): check the user name and password or token"
    if code == 404:
        return "not found on the server (HTTP 404): check the DICOMweb URL"
    if code == 0:
        return "HTTP error without a status"
    return f"the server answered HTTP {code} {response.reason or ''}".rstrip()


class DicomWebConnection:
    def __init__(self, node: PacsNode) -> None:
        from dicomweb_client.api import DICOMwebClient

        self.node = node
        self._session = session_for(node)
        self.client = DICOMwebClient(
            node.dicomweb_url, session=self._session, timeout=node.timeout_s
        )
        self.client.set_http_retry_params(retry=False)  # one clear error, not a minute of retries

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> DicomWebConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        node, url = self.node.name, self.node.dicomweb_url
        try:
            yield
        except PacsError:
            raise
        except requests.Timeout as exc:
            raise PacsError(
                node, f"{what}: no answer from {url} within {self.node.timeout_s:g} s (timeout)"
            ) from exc
        except requests.ConnectionError as exc:
            raise PacsError(
                node, f"{what}: cannot connect to {url} (server down or unreachable)"
            ) from exc
        except requests.HTTPError as exc:
            raise PacsError(node, f"{what}: {http_reason(exc)}") from exc
        except MALFORMED as exc:  # before RequestException: JSONDecodeError is both
            raise PacsError(node, f"{what}: malformed DICOMweb answer ({exc})") from exc
        except requests.RequestException as exc:
            raise PacsError(node, f"{what}: {type(exc).__name__}") from exc

    def _search(self, what: str, call: Callable[[], list], read: Callable[[Dataset], T]) -> list[T]:
        with self._errors(what):
            answer = call()
            if not isinstance(answer, list):
                raise ValueError(f"expected a JSON array, got {type(answer).__name__}")
            return [read(Dataset.from_json(item)) for item in answer]

    def echo(self) -> None:
        """A one-study search: reaches the server, passes its authentication."""
        self._search("test connection", lambda: self.client.search_for_studies(limit=1), str)

    def find_studies(self, query: StudyQuery) -> list[StudyResult]:
        query = query.checked()
        return self._search(
            "study search",
            lambda: self.client.search_for_studies(
                fields=list(STUDY_FIELDS),
                search_filters=query.filters(),
                limit=query.limit or None,
            ),
            study_result,
        )

    def find_series(self, study_uid: str) -> list[SeriesResult]:
        return self._search(
            "series search",
            lambda: self.client.search_for_series(
                study_instance_uid=study_uid, fields=list(SERIES_FIELDS)
            ),
            lambda ds: series_result(ds, study_uid),
        )

    def list_instances(self, study_uid: str) -> list[InstanceRef]:
        return self._search(
            "instance search",
            lambda: self.client.search_for_instances(
                study_instance_uid=study_uid, fields=list(INSTANCE_FIELDS), get_remaining=True
            ),
            lambda ds: instance_ref(ds, study_uid),
        )

    def fetch(self, refs: Sequence[InstanceRef], whole_series: set[str]) -> Iterator[bytes]:
        """Each wanted instance as Part-10 bytes, as it arrives. Series in `whole_series` come
        in one streamed WADO-RS series request; the other refs one instance request each."""
        by_series: dict[str, list[InstanceRef]] = {}
        for ref in refs:
            by_series.setdefault(ref.series_uid, []).append(ref)
        for series_uid, items in by_series.items():
            study_uid = items[0].study_uid
            if series_uid in whole_series:
                with self._errors(f"retrieve of series {series_uid}"):
                    stream = self.client.iter_series(study_uid, series_uid, media_types=AS_STORED)
                    for ds in stream:
                        yield encode(ds)
                continue
            for ref in items:
                with self._errors(f"retrieve of instance {ref.sop_uid}"):
                    ds = self.client.retrieve_instance(
                        study_uid, series_uid, ref.sop_uid, media_types=AS_STORED
                    )
                    yield encode(ds)

    def store(self, datasets: Sequence[Dataset]) -> None:
        """STOW-RS; a PacsError when the server refuses any instance."""
        with self._errors("store"):
            answer = self.client.store_instances(list(datasets))
            failed = answer.get("FailedSOPSequence") if answer is not None else None
            if failed:
                reasons = ", ".join(
                    f"{item.get('ReferencedSOPInstanceUID', '?')} "
                    f"(reason 0x{int(item.get('FailureReason', 0)):04X})"
                    for item in failed
                )
                raise PacsError(self.node.name, f"store refused for {reasons}")


def encode(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def header_of(data: bytes) -> Dataset:
    return dcmread(io.BytesIO(data), stop_before_pixels=True)
