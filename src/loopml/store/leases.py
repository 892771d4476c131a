"""Database leases: at most one holder of a named lease at a time, across processes.

Schedulers, monitors and the retraining loop hold a lease so two copies never act on the
same tick. A lease expires unless renewed; an expired lease can be taken over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from loopml._utils.clock import now_ms
from loopml.store.tables import core

if TYPE_CHECKING:
    from loopml.store.db import Database


def acquire(db: Database, name: str, holder: str, ttl_s: float) -> bool:
    """Take or renew the lease ``name`` for ``holder``; return whether ``holder`` has it now.

    The lease is granted when it is free, expired, or already held by ``holder``.
    """
    now = now_ms()
    leases = core.leases
    stmt = db.upsert(
        leases,
        ["name"],
        ["holder", "expires_at", "acquired_at"],
        where=lambda new: (leases.c.holder == new.holder) | (leases.c.expires_at < now),
    )
    row = {
        "name": name,
        "holder": holder,
        "expires_at": now + int(ttl_s * 1000),
        "acquired_at": now,
    }
    with db.write() as conn:
        conn.execute(stmt, row)
        current = conn.execute(select(leases.c.holder).where(leases.c.name == name)).scalar()
    return current == holder


def release(db: Database, name: str, holder: str) -> None:
    """Give the lease up if ``holder`` has it."""
    leases = core.leases
    with db.write() as conn:
        conn.execute(delete(leases).where((leases.c.name == name) & (leases.c.holder == holder)))


def holder_of(db: Database, name: str) -> str | None:
    """Return who holds an unexpired lease ``name``, or ``None``."""
    leases = core.leases
    with db.read() as conn:
        row = conn.execute(select(leases).where(leases.c.name == name)).first()
    if row is None or row.expires_at < now_ms():
        return None
    return str(row.holder)
