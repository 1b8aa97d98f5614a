"""PACS nodes: validation, the per-user config file, and secrets kept out of text."""

from __future__ import annotations

import logging
import stat

import pytest

from engine.pacs import HttpAuth, NodeBook, NodeConfigError, PacsNode, Secret, StudyQuery
from engine.pacs.dicomweb import BearerAuth, session_for
from engine.pacs.query import QueryError

PASSWORD = "correct-horse-battery"


def web_node(**kw) -> PacsNode:  # noqa: ANN003
    values = {
        "name": "hospital",
        "dicomweb_url": "https://pacs.example.org/dicom-web/",
        "auth": HttpAuth("basic", "reader", Secret(PASSWORD)),
    }
    values.update(kw)
    return PacsNode(**values)


def test_secrets_never_appear_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    node = web_node()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("node %s %r %s", node, node, node.auth)
    text = repr(node) + str(node) + f"{node.auth}" + caplog.text
    assert PASSWORD not in text
    assert "***" in repr(node)
    assert repr(BearerAuth(PASSWORD)) == "BearerAuth(***)"


def test_bearer_token_goes_into_the_authorization_header_only() -> None:
    import requests

    node = web_node(auth=HttpAuth("bearer", "", Secret("tok-123")))
    session = session_for(node)
    prepared = session.prepare_request(requests.Request("GET", node.dicomweb_url + "/studies"))
    assert prepared.headers["Authorization"] == "Bearer tok-123"
    assert "tok-123" not in prepared.url


def test_node_book_round_trip_in_lesionlens_home_readable_by_user_only(pacs_home) -> None:  # noqa: ANN001
    book = NodeBook()
    book.save(web_node())
    book.save(PacsNode("modality", ae_title="ORTHANC", host="127.0.0.1", port=4242))
    assert book.path == pacs_home / "config" / "pacs_nodes.json"
    assert stat.S_IMODE(book.path.stat().st_mode) == 0o600
    nodes = NodeBook().load()
    assert set(nodes) == {"hospital", "modality"}
    assert nodes["hospital"].dicomweb_url == "https://pacs.example.org/dicom-web"  # trimmed
    assert nodes["hospital"].auth.secret.reveal() == PASSWORD
    assert nodes["modality"].kind == "dimse"
    book.remove("hospital")
    assert set(NodeBook().load()) == {"modality"}
    with pytest.raises(NodeConfigError, match="no PACS node named 'hospital'"):
        book.get("hospital")


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (PacsNode(""), "needs a name"),
        (PacsNode("x"), "give a DICOMweb URL, or the AE title"),
        (PacsNode("x", dicomweb_url="ftp://h/"), "not an http"),
        (PacsNode("x", dicomweb_url="http://u:p@h/dw"), "not in the URL"),
        (PacsNode("x", ae_title="A" * 17, host="h", port=104), "1-16"),
        (PacsNode("x", ae_title="PACS", host="h", port=70000), "not 1-65535"),
        (PacsNode("x", ae_title="PACS", host="h", port=104, calling_ae_title="bad\\"), "1-16"),
        (web_node(auth=HttpAuth("basic", "", Secret("p"))), "needs a username"),
        (web_node(auth=HttpAuth("bearer")), "needs a token"),
        (web_node(ae_title="X"), "not both"),
    ],
)
def test_invalid_nodes_are_refused_with_the_reason(node: PacsNode, message: str) -> None:
    with pytest.raises(NodeConfigError, match=message):
        node.validated()


def test_a_broken_config_file_is_one_clear_error(pacs_home) -> None:  # noqa: ANN001
    book = NodeBook()
    book.path.parent.mkdir(parents=True)
    book.path.write_text("{not json")
    with pytest.raises(NodeConfigError, match="cannot read the PACS nodes"):
        book.load()


def test_study_query_filters_and_date_checks() -> None:
    query = StudyQuery(patient_id=" 123 ", modality="us", date_from="2024-01-02").checked()
    assert query.filters() == {
        "PatientID": "123",
        "ModalitiesInStudy": "US",
        "StudyDate": "20240102-",
    }
    assert StudyQuery(date_from="20240102", date_to="20240102").checked().date_range == "20240102"
    with pytest.raises(QueryError, match="YYYYMMDD"):
        StudyQuery(date_from="yesterday").checked()
    with pytest.raises(QueryError, match="after"):
        StudyQuery(date_from="20240102", date_to="20230101").checked()
