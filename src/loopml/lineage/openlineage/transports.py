"""Where OpenLineage events go: a folder of JSON lines, an HTTP endpoint, or the console.

One setting chooses (``LOOPML_OPENLINEAGE_URL``): ``file:///dir`` appends each event as
one JSON line to ``dir/openlineage.jsonl``; ``http://host/api/v1/lineage`` (or https)
POSTs each event as JSON (Marquez and other collectors); ``console`` writes JSON lines
to standard error.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse

from loopml.errors import BackendUnavailable, ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 5.0


class Transport(Protocol):
    """Sends one event."""

    url: str

    def send(self, event: Mapping[str, Any]) -> None:
        """Deliver ``event`` (raise on failure)."""
        ...


class FileTransport:
    """Appends events as JSON lines to ``<folder>/openlineage.jsonl``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(unquote(urlparse(url).path)) / "openlineage.jsonl"
        self._lock = threading.Lock()

    def send(self, event: Mapping[str, Any]) -> None:
        """Append ``event`` (one line, written with one call)."""
        line = json.dumps(event, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)


class HttpTransport:
    """POSTs each event as JSON to an OpenLineage HTTP endpoint."""

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, event: Mapping[str, Any]) -> None:
        """POST ``event``; a non-2xx answer or an unreachable endpoint raises."""
        request = urllib.request.Request(
            self.url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except (urllib.error.URLError, OSError) as err:
            raise BackendUnavailable(
                f"cannot send an OpenLineage event to {self.url} ({err}); check the collector "
                "is up or change LOOPML_OPENLINEAGE_URL"
            ) from err


class ConsoleTransport:
    """Writes events as JSON lines to standard error (chosen explicitly by the user)."""

    url = "console"

    def send(self, event: Mapping[str, Any]) -> None:
        """Write ``event`` on one line."""
        sys.stderr.write(json.dumps(event, sort_keys=True) + "\n")


def open_transport(url: str) -> Transport:
    """Return the transport for ``url`` (``file:///dir``, ``http(s)://...``, ``console``).

    Raises:
        ConfigError: the URL is none of those.
    """
    scheme = urlparse(url).scheme
    if url == "console":
        return ConsoleTransport()
    if scheme == "file":
        return FileTransport(url)
    if scheme in {"http", "https"}:
        return HttpTransport(url)
    raise ConfigError(
        f"LOOPML_OPENLINEAGE_URL={url!r} is not a transport; use file:///folder, "
        "http://host:5000/api/v1/lineage or console"
    )
