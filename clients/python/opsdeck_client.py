"""A small client of the Opsdeck control API (docs/api.md), standard library only.

Talks HTTP/1.1 to the engine that owns a stack, over its unix socket (no token: the socket is
owner-only) or over the TCP listener of ``api.listen`` with a bearer token::

    from opsdeck_client import OpsdeckClient, OpsdeckError

    api = OpsdeckClient.over_socket("/path/to/stack/.opsdeck/run/engine.sock")
    print(api.status()["services"])
    api.restart("storage", dry_run=True)

    scrape = OpsdeckClient.over_tcp("http://127.0.0.1:9180", token)  # `opsdeck api token show --scope read`
    print(scrape.prometheus())

Every method returns the decoded JSON answer (``prometheus`` returns text). An error status
raises ``OpsdeckError`` with the API's ``code``, ``message``, ``hint`` and the HTTP ``status``;
a connection that fails raises ``OpsdeckError`` with code ``ENGINE_UNREACHABLE``.
``request(method, path, query=None, body=None)`` reaches any route of docs/openapi.json.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Dict, Iterable, Mapping, Optional, Union
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["OpsdeckClient", "OpsdeckError"]

Query = Mapping[str, Union[str, int, bool, Iterable[str], None]]


class OpsdeckError(Exception):
    """An error answer of the API (``{"error": {code, message, hint?}}``) or a failed connection."""

    def __init__(self, status: Optional[int], code: str, message: str, hint: Optional[str] = None) -> None:
        super().__init__(f"{code}: {message}" + (f" (hint: {hint})" if hint else ""))
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: the host name in requests does not matter."""

    def __init__(self, path: str, timeout: Optional[float]) -> None:
        super().__init__("opsdeck", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class OpsdeckClient:
    """One engine's API. Build it with ``over_socket`` or ``over_tcp``."""

    def __init__(self, connect, where: str, token: Optional[str] = None) -> None:
        self._connect = connect
        self._where = where
        self._token = token

    @classmethod
    def over_socket(cls, socket_path: str, timeout: Optional[float] = 60.0) -> "OpsdeckClient":
        """The stack's unix socket, ``<stack>/.opsdeck/run/engine.sock``."""
        return cls(lambda: _UnixConnection(socket_path, timeout), socket_path)

    @classmethod
    def over_tcp(cls, url: str, token: str, timeout: Optional[float] = 60.0) -> "OpsdeckClient":
        """The TCP listener (``http://127.0.0.1:9180``) with the full or the read-only token."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"{url!r} is not http://HOST:PORT (the API's TCP listener speaks plain HTTP)")
        host, port = parts.hostname, parts.port
        return cls(lambda: http.client.HTTPConnection(host, port, timeout=timeout), url, token)

    # ------------------------------------------------------------------ plumbing

    def request(self, method: str, path: str, query: Optional[Query] = None, body: Optional[Dict[str, Any]] = None) -> Any:
        """One request; the JSON answer (text for a non-JSON answer), or ``OpsdeckError``."""
        target = path + (("?" + _encode(query)) if query and _encode(query) else "")
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        if self._token is not None:
            headers["authorization"] = f"Bearer {self._token}"
        conn = self._connect()
        try:
            try:
                conn.request(method, target, body=data, headers=headers)
                res = conn.getresponse()
                raw = res.read()
            except (OSError, http.client.HTTPException) as e:
                raise OpsdeckError(None, "ENGINE_UNREACHABLE", f"no answer from {self._where} ({e})", "start the engine with `opsdeck up`, or check api.listen with `opsdeck api info`") from e
            kind = res.getheader("content-type", "")
            text = raw.decode("utf-8")
            answer = json.loads(text) if "json" in kind and text else text
            if res.status >= 400:
                err = answer.get("error", {}) if isinstance(answer, dict) else {}
                raise OpsdeckError(res.status, err.get("code", f"HTTP_{res.status}"), err.get("message", text), err.get("hint"))
            return answer
        finally:
            conn.close()

    # ------------------------------------------------------------------ the routes most scripts need

    def status(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/status")

    def health(self, check: bool = False, services: Iterable[str] = ()) -> Dict[str, Any]:
        return self.request("GET", "/v1/health", {"check": check or None, "service": ",".join(services) or None})

    def up(self, services: Iterable[str] = (), dry_run: bool = False) -> Dict[str, Any]:
        return self.request("POST", "/v1/stack/up", body=_body(services=list(services) or None, dry_run=dry_run or None))

    def down(self, services: Iterable[str] = (), dry_run: bool = False) -> Dict[str, Any]:
        return self.request("POST", "/v1/stack/down", body=_body(services=list(services) or None, dry_run=dry_run or None))

    def start(self, name: str, dry_run: bool = False) -> Dict[str, Any]:
        return self.request("POST", f"/v1/services/{_segment(name)}/start", {"dry_run": dry_run or None})

    def stop(self, name: str, dry_run: bool = False) -> Dict[str, Any]:
        return self.request("POST", f"/v1/services/{_segment(name)}/stop", {"dry_run": dry_run or None})

    def restart(self, name: str, dry_run: bool = False) -> Dict[str, Any]:
        return self.request("POST", f"/v1/services/{_segment(name)}/restart", {"dry_run": dry_run or None})

    def profiles(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/profiles")

    def use_profile(self, name: str, dry_run: bool = False) -> Dict[str, Any]:
        return self.request("PUT", "/v1/profile", body=_body(name=name, dry_run=dry_run or None))

    def logs(self, name: str, lines: Optional[int] = None, since: Optional[str] = None) -> Dict[str, Any]:
        return self.request("GET", f"/v1/services/{_segment(name)}/logs", {"lines": lines, "since": since})

    def search_memory(self, text: Optional[str] = None, service: Iterable[str] = (), since: Optional[str] = None, limit: Optional[int] = None) -> Dict[str, Any]:
        return self.request("GET", "/v1/memory/search", {"text": text, "service": list(service) or None, "since": since, "limit": limit})

    def metrics(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/metrics")

    def prometheus(self) -> str:
        return self.request("GET", "/metrics")

    def alerts(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/alerts")

    def backup_status(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/backups/status")

    def doctor(self, services: Iterable[str] = ()) -> Dict[str, Any]:
        return self.request("GET", "/v1/doctor", {"service": ",".join(services) or None})

    def api_access(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/api")


def _body(**fields: Any) -> Dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _segment(name: str) -> str:
    return quote(name, safe="")


def _encode(query: Query) -> str:
    pairs = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, (str, int)):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(v)) for v in value)
    return urlencode(pairs)
