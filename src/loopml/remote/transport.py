"""One HTTP connection pool to a loopml server; answers become data, errors ``LoopmlError``.

An error answer (``{"error", "message"}``) is raised as the loopml error of the same
name when loopml has one (``RunNotFound``, ``ParamConflict``, ``ModelNotFound``...), so
remote callers catch what local callers catch.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from loopml import errors as base_errors
from loopml.errors import BackendUnavailable, InvalidInput, LoopmlError
from loopml.models import errors as model_errors

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

logger = logging.getLogger(__name__)

TOKEN_ENV = "LOOPML_TRACKING_TOKEN"
_RETRIES = 3
_IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}


class RemoteError(LoopmlError):
    """An error answer from the server that no loopml error class matches."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.http_status = status


def _known_errors() -> dict[str, type[LoopmlError]]:
    found: dict[str, type[LoopmlError]] = {}
    for module in (base_errors, model_errors):
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, LoopmlError):
                found[name] = value
    return found


class HttpTransport:
    """Calls the REST API of a loopml server (thread-safe, keep-alive, retries on reset).

    Args:
        base_url: ``http://host:port`` of ``loopml up``.
        token: API token sent as ``Authorization: Bearer`` (default: ``LOOPML_TRACKING_TOKEN``).
        timeout: seconds per request.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        headers = {"user-agent": "loopml-remote"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self._errors = _known_errors()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer."""
        response = self._send(method, path, json=json, params=params)
        return response.json() if response.content else None

    def upload(self, path: str, file: Path, media_type: str) -> Any:
        """PUT a file's bytes (streamed) and return the decoded JSON answer."""
        with file.open("rb") as body:
            response = self._send("PUT", path, content=body, headers={"content-type": media_type})
        return response.json()

    def download(self, path: str, dest: Path) -> Path:
        """GET ``path`` into the file ``dest`` (streamed)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._http.stream("GET", path) as response:
            if response.status_code >= 400:
                response.read()
                raise self._error(response)
            with dest.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return dest

    def read_bytes(self, path: str) -> bytes:
        """GET ``path`` and return the body."""
        return self._send("GET", path).content

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as err:
                attempt += 1
                retry = attempt < _RETRIES and (method in _IDEMPOTENT or _not_sent(err))
                if not retry:
                    raise BackendUnavailable(
                        f"cannot reach the loopml server at {self.base_url} ({err}); start it "
                        "with `loopml up` or fix LOOPML_TRACKING_URI"
                    ) from err
                time.sleep(0.2 * attempt)
                continue
            if response.status_code >= 400:
                raise self._error(response)
            return response

    def _error(self, response: httpx.Response) -> LoopmlError:
        try:
            body = response.json()
            name, message = str(body["error"]), str(body["message"])
        except (ValueError, KeyError, TypeError):
            name, message = "", response.text[:1000] or response.reason_phrase
        cls = self._errors.get(name)
        if cls is not None and name not in {"LoopmlError", "InvalidFilter"}:
            try:
                return cls(message)
            except TypeError:
                pass
        if name == "InvalidFilter":
            return base_errors.InvalidFilter(message)
        if response.status_code == 422:
            return InvalidInput(message)
        return RemoteError(f"{name or response.status_code}: {message}", response.status_code)


def _not_sent(err: Exception) -> bool:
    # A refused connection never reached the server: safe to retry even a POST.
    return isinstance(err, httpx.ConnectError)
