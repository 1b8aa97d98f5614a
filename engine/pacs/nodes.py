"""PACS nodes per user: a name, how to reach the server, and our own AE title.

A node is either DICOMweb (a base URL, optionally HTTP basic or bearer auth) or classic
DICOM (the server's AE title, host and port). The list lives in the user config,
`<config>/pacs_nodes.json`, where <config> is $LESIONLENS_HOME/config when that is set and
the platform's user config folder otherwise; it is written atomically and readable by the
user only, because it may hold a password or token. Secrets never appear in repr(), str(),
log lines or error messages (they are `Secret`s).
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.atomic import write_bytes_atomic
from engine.datastore.home import HOME_ENV
from engine.errors import LesionLensError

CONFIG_NAME = "pacs_nodes.json"
SCHEMA_VERSION = 1
DEFAULT_CALLING_AET = "LESIONLENS"
DEFAULT_TIMEOUT_S = 20.0
AUTH_KINDS = ("none", "basic", "bearer")
_AET_CHARS = set(string.ascii_letters + string.digits + " _-.")


class NodeConfigError(LesionLensError):
    """A node's settings are invalid, or the node file cannot be read."""


class Secret:
    """A password or token that prints as *** (repr, str, f-strings, logging)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class HttpAuth:
    """kind "basic" (username + secret as password) or "bearer" (secret is the token)."""

    kind: str = "none"
    username: str = ""
    secret: Secret = field(default_factory=lambda: Secret(""))

    def __post_init__(self) -> None:
        if self.kind not in AUTH_KINDS:
            raise NodeConfigError(f"unknown HTTP authentication {self.kind!r}")
        if isinstance(self.secret, str):
            object.__setattr__(self, "secret", Secret(self.secret))


@dataclass(frozen=True)
class PacsNode:
    name: str
    dicomweb_url: str = ""
    ae_title: str = ""  # the server's (called) AE title
    host: str = ""
    port: int = 0
    calling_ae_title: str = DEFAULT_CALLING_AET  # ours
    auth: HttpAuth = field(default_factory=HttpAuth)
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def kind(self) -> str:
        return "dicomweb" if self.dicomweb_url else "dimse"

    @property
    def address(self) -> str:
        """Where it is, for messages: the URL, or AE@host:port (no credentials in either)."""
        if self.dicomweb_url:
            return self.dicomweb_url
        return f"{self.ae_title}@{self.host}:{self.port}"

    def validated(self) -> PacsNode:
        """The node with its fields trimmed; NodeConfigError says which field is wrong."""
        node = replace(
            self,
            name=self.name.strip(),
            dicomweb_url=self.dicomweb_url.strip().rstrip("/"),
            ae_title=self.ae_title.strip(),
            host=self.host.strip(),
            calling_ae_title=self.calling_ae_title.strip() or DEFAULT_CALLING_AET,
        )
        if not node.name:
            raise NodeConfigError("a node needs a name")
        if not node.name.isprintable() or "/" in node.name:
            raise NodeConfigError(f"node name {node.name!r}: printable, without '/'")
        check_ae_title(node.calling_ae_title, "our AE title")
        if node.timeout_s <= 0:
            raise NodeConfigError(f"node {node.name}: the timeout must be positive")
        if node.dicomweb_url:
            if node.ae_title or node.host or node.port:
                raise NodeConfigError(
                    f"node {node.name}: give a DICOMweb URL or AE title/host/port, not both"
                )
            check_url(node.dicomweb_url, node.name)
            if node.auth.kind == "basic" and not node.auth.username:
                raise NodeConfigError(f"node {node.name}: basic authentication needs a username")
            if node.auth.kind != "none" and not node.auth.secret:
                what = "password" if node.auth.kind == "basic" else "token"
                raise NodeConfigError(f"node {node.name}: {node.auth.kind} auth needs a {what}")
            return node
        if not (node.ae_title and node.host and node.port):
            raise NodeConfigError(
                f"node {node.name}: give a DICOMweb URL, or the AE title, host and port"
            )
        check_ae_title(node.ae_title, "the PACS AE title")
        if not 0 < int(node.port) < 65536:
            raise NodeConfigError(f"node {node.name}: port {node.port} is not 1-65535")
        if node.auth.kind != "none":
            raise NodeConfigError(f"node {node.name}: HTTP auth applies to DICOMweb nodes only")
        return node

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "calling_ae_title": self.calling_ae_title}
        if self.dicomweb_url:
            data["dicomweb_url"] = self.dicomweb_url
            if self.auth.kind != "none":
                data["auth"] = {
                    "kind": self.auth.kind,
                    "username": self.auth.username,
                    "secret": self.auth.secret.reveal(),
                }
        else:
            data.update(ae_title=self.ae_title, host=self.host, port=self.port)
        if self.timeout_s != DEFAULT_TIMEOUT_S:
            data["timeout_s"] = self.timeout_s
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PacsNode:
        auth = data.get("auth") or {}
        return cls(
            name=str(data.get("name", "")),
            dicomweb_url=str(data.get("dicomweb_url", "")),
            ae_title=str(data.get("ae_title", "")),
            host=str(data.get("host", "")),
            port=int(data.get("port", 0) or 0),
            calling_ae_title=str(data.get("calling_ae_title", DEFAULT_CALLING_AET)),
            auth=HttpAuth(
                kind=str(auth.get("kind", "none")),
                username=str(auth.get("username", "")),
                secret=Secret(str(auth.get("secret", ""))),
            ),
            timeout_s=float(data.get("timeout_s", DEFAULT_TIMEOUT_S)),
        ).validated()


def check_ae_title(title: str, what: str) -> None:
    if not 0 < len(title) <= 16 or not set(title) <= _AET_CHARS:
        raise NodeConfigError(f"{what} {title!r}: 1-16 letters, digits, space, '_', '-' or '.'")


def check_url(url: str, name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NodeConfigError(f"node {name}: {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise NodeConfigError(
            f"node {name}: put credentials in the authentication fields, not in the URL"
        )


def config_dir(root: str | Path | None = None) -> Path:
    """$LESIONLENS_HOME/config (or <root>/config), else the platform's user config folder."""
    if root is not None:
        return Path(root).expanduser() / "config"
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser() / "config"
    from platformdirs import user_config_dir

    return Path(user_config_dir("LesionLens", appauthor=False))


class NodeBook:
    """The user's PACS nodes, by name, kept in <config>/pacs_nodes.json."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.path = config_dir(root) / CONFIG_NAME

    def load(self) -> dict[str, PacsNode]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            nodes = [PacsNode.from_json(item) for item in data.get("nodes", [])]
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise NodeConfigError(f"{self.path}: cannot read the PACS nodes ({exc})") from exc
        return {node.name: node for node in nodes}

    def get(self, name: str) -> PacsNode:
        nodes = self.load()
        if name not in nodes:
            known = ", ".join(sorted(nodes)) or "none yet: lesionlens pacs add"
            raise NodeConfigError(f"no PACS node named {name!r} (known: {known})")
        return nodes[name]

    def save(self, node: PacsNode, replace_name: str | None = None) -> PacsNode:
        """Add or update `node` (renaming `replace_name` when given)."""
        node = node.validated()
        nodes = self.load()
        if replace_name is not None:
            nodes.pop(replace_name, None)
        nodes[node.name] = node
        self._write(nodes)
        return node

    def remove(self, name: str) -> None:
        nodes = self.load()
        if nodes.pop(name, None) is None:
            raise NodeConfigError(f"no PACS node named {name!r}")
        self._write(nodes)

    def _write(self, nodes: dict[str, PacsNode]) -> None:
        data = {
            "schema_version": SCHEMA_VERSION,
            "nodes": [nodes[name].to_json() for name in sorted(nodes)],
        }
        text = json.dumps(data, indent=2) + "\n"
        write_bytes_atomic(self.path, text.encode("utf-8"), mode=0o600)
