"""Database leases: at most one holder of a named lease at a time, across processes.

Schedulers, monitors and the retraining loop hold a lease so two copies never act on the
same tick. A lease expires unless renewed; an expired lease can be taken over.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from loopml._utils.clock import now_ms
from loopml.store.tables import core

if TYPE_CHECKING:
    from types import TracebackType

    from loopml.store.db import Database

logger = logging.getLogger(__name__)


def acquire(db: Database, name: str, holder: str, ttl_s: float, *, force: bool = False) -> bool:
    """Take or renew the lease ``name`` for ``holder``; return whether ``holder`` has it now.

    The lease is granted when it is free, expired, or already held by ``holder``; with
    ``force`` it is taken from whoever holds it (for an operator who knows the holder died).
    """
    now = now_ms()
    leases = core.leases
    stmt = db.upsert(
        leases,
        ["name"],
        ["holder", "expires_at", "acquired_at"],
        where=None
        if force
        else (lambda new: (leases.c.holder == new.holder) | (leases.c.expires_at < now)),
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


class KeptLease:
    """Hold a lease while work goes on: renewed in the background, released at the end.

    The lease is renewed every third of its ``ttl_s``, so a killed holder's lease expires
    at most ``ttl_s`` after its last renewal while a slow but live holder keeps it.

    Args:
        db: the database holding the lease table.
        name: the lease name.
        holder: who holds it (unique per attempt).
        ttl_s: how long the lease outlives its last renewal.
    """

    def __init__(self, db: Database, name: str, holder: str, ttl_s: float) -> None:
        self.db, self.name, self.holder, self.ttl_s = db, name, holder, ttl_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> KeptLease:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        release(self.db, self.name, self.holder)

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                still = acquire(self.db, self.name, self.holder, self.ttl_s)
            except Exception:  # a database hiccup: try again at the next beat
                logger.warning("could not renew lease %s", self.name, exc_info=True)
                continue
            if not still:
                self.lost = True
                logger.warning(
                    "lease %s was taken over by %s", self.name, holder_of(self.db, self.name)
                )
                return
