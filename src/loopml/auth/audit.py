"""The audit log in the metadata database: append rows, query them back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from loopml.auth.entities import AuditEntry
from loopml.store.tables import auth as t

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Connection

MAX_LIMIT = 10_000


def append(conn: Connection, entries: Sequence[Mapping[str, Any]]) -> None:
    """Insert audit rows (at, principal, via, action, method, path, status, client, detail)."""
    if entries:
        conn.execute(insert(t.audit_log), [dict(e) for e in entries])


def query(
    conn: Connection,
    *,
    principal: str | None = None,
    action: str | None = None,
    since: int | None = None,
    until: int | None = None,
    failed_only: bool = False,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Return audit entries, newest first, filtered by who, what and when."""
    log = t.audit_log
    stmt = select(log).order_by(log.c.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    if principal is not None:
        stmt = stmt.where(log.c.principal == principal)
    if action is not None:
        stmt = stmt.where(log.c.action.like(action.replace("*", "%")))
    if since is not None:
        stmt = stmt.where(log.c.at >= since)
    if until is not None:
        stmt = stmt.where(log.c.at < until)
    if failed_only:
        stmt = stmt.where(log.c.status >= 400)
    if before_id is not None:
        stmt = stmt.where(log.c.id < before_id)
    return [_entry(r) for r in conn.execute(stmt)]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        principal=row.principal,
        via=row.via,
        action=row.action,
        method=row.method,
        path=row.path,
        status=row.status,
        client=row.client,
        detail=row.detail,
    )
