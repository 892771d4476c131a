"""The audit middleware: every mutation (who, what, when, from where, status) to the audit log.

A mutation is a request whose permission is not a ``:read`` one (or, on a route without a
permission, any unsafe method). Rows are queued and written by one background thread in
small batches so that auditing never adds a database write to a request's latency;
:meth:`AuditWriter.flush` (called at shutdown) writes what is queued.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import now_ms

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from loopml.auth import Auth

logger = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BATCH = 500
_IDLE_S = 0.2


class AuditWriter:
    """Queue audit rows and write them in batches from one daemon thread."""

    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, entry: dict[str, Any]) -> None:
        """Queue one row (starts the writer thread on first use)."""
        with self._idle:
            self._pending += 1
        self._queue.put(entry)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="loopml-audit", daemon=True
                    )
                    self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row is written; return whether that happened in time."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get(timeout=0.005))
                except queue.Empty:
                    break
            try:
                self.auth.record(batch)
            except Exception:
                # Never lose the request; say loudly that the audit trail has a gap.
                logger.exception("could not write %d audit entries", len(batch))
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()


class AuditMiddleware:
    """ASGI middleware recording every mutation with its principal, action and status."""

    def __init__(self, app: ASGIApp, writer: AuditWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            entry = audit_entry(scope, state, status)
            if entry is not None:
                self.writer.submit(entry)


def audit_entry(scope: Scope, state: dict[str, Any], status: int) -> dict[str, Any] | None:
    """Return the audit row for a finished request, or ``None`` when it is not a mutation."""
    method = str(scope.get("method", "GET"))
    action = state.get("audit_action") or state.get("permission")
    if action is None:
        if method not in UNSAFE_METHODS:
            return None
        action = "unrouted"
    elif str(action).endswith(":read"):
        return None
    principal = state.get("principal")
    client = scope.get("client")
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    detail: dict[str, Any] = {}
    if principal is not None and principal.token_id:
        detail["token"] = principal.token_id
    for header in ("user-agent", "x-forwarded-for"):
        if header in headers:
            detail[header] = headers[header][:256]
    query = scope.get("query_string", b"").decode("latin-1")
    path = str(scope.get("path", "")) + (f"?{query}" if query else "")
    return {
        "at": now_ms(),
        "principal": principal.name
        if principal is not None
        else state.get("audit_user", "anonymous"),
        "via": principal.via if principal is not None else "anonymous",
        "action": str(action),
        "method": method,
        "path": path[:2000],
        "status": status,
        "client": client[0] if client else None,
        "detail": detail or None,
    }
