"""The node editor's fields, without Qt: what the form shows for a node and the node the
form describes (engine.pacs validates it; NodeConfigError names the wrong field)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.pacs import HttpAuth, PacsNode, Secret
from engine.pacs.nodes import DEFAULT_CALLING_AET, DEFAULT_TIMEOUT_S, NodeConfigError

DICOMWEB, DIMSE = "dicomweb", "dimse"


@dataclass
class NodeForm:
    name: str = ""
    kind: str = DICOMWEB
    url: str = ""
    auth_kind: str = "none"
    username: str = ""
    secret: str = ""
    ae_title: str = ""
    host: str = ""
    port: str = ""
    calling_ae_title: str = DEFAULT_CALLING_AET
    timeout_s: str = f"{DEFAULT_TIMEOUT_S:g}"

    @classmethod
    def of(cls, node: PacsNode) -> NodeForm:
        return cls(
            name=node.name,
            kind=node.kind,
            url=node.dicomweb_url,
            auth_kind=node.auth.kind,
            username=node.auth.username,
            secret=node.auth.secret.reveal(),
            ae_title=node.ae_title,
            host=node.host,
            port=str(node.port) if node.port else "",
            calling_ae_title=node.calling_ae_title,
            timeout_s=f"{node.timeout_s:g}",
        )

    def node(self) -> PacsNode:
        """The validated node; NodeConfigError says what to fix."""
        try:
            timeout = float(self.timeout_s or DEFAULT_TIMEOUT_S)
        except ValueError as exc:
            raise NodeConfigError(f"timeout {self.timeout_s!r} is not a number of seconds") from exc
        if self.kind == DICOMWEB:
            auth = HttpAuth(self.auth_kind, self.username.strip(), Secret(self.secret))
            if self.auth_kind == "none":
                auth = HttpAuth()
            node = PacsNode(
                self.name,
                dicomweb_url=self.url,
                calling_ae_title=self.calling_ae_title,
                auth=auth,
                timeout_s=timeout,
            )
        else:
            port = self.port.strip()
            if not port.isdigit():
                raise NodeConfigError(f"port {port!r} is not a number")
            node = PacsNode(
                self.name,
                ae_title=self.ae_title,
                host=self.host,
                port=int(port),
                calling_ae_title=self.calling_ae_title,
                timeout_s=timeout,
            )
        return node.validated()
