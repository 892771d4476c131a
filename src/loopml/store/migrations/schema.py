"""Alembic migrations of the metadata database, applied on first use and by ``loopml db upgrade``.

The package ``loopml.store.migrations`` re-exports these names lazily.
"""

from __future__ import annotations

import ast
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from loopml.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.store.db import Database

logger = logging.getLogger(__name__)

VERSIONS_DIR = Path(__file__).parent / "versions"
VERSION_TABLE = "alembic_version"
# Any constant works; it only has to be the same in every loopml process.
_PG_LOCK_KEY = 0x6C6F6F70

_REVISION = re.compile(r"^revision(?:\s*:\s*[\w\[\], |]+)?\s*=\s*(.+)$", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:\s*[\w\[\], |]+)?\s*=\s*(.+)$", re.MULTILINE)


@cache
def revisions() -> dict[str, tuple[str, ...]]:
    """Return every known revision mapped to its parents, read from the version files."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        source = path.read_text()
        rev_match, down_match = _REVISION.search(source), _DOWN.search(source)
        if rev_match is None or down_match is None:
            continue
        revision = ast.literal_eval(rev_match.group(1).strip())
        down = ast.literal_eval(down_match.group(1).strip())
        if down is None:
            parents: tuple[str, ...] = ()
        elif isinstance(down, str):
            parents = (down,)
        else:
            parents = tuple(down)
        graph[str(revision)] = parents
    return graph


def heads() -> frozenset[str]:
    """Return the revisions no other revision builds on (the latest of each branch)."""
    graph = revisions()
    parents = {p for ps in graph.values() for p in ps}
    return frozenset(r for r in graph if r not in parents)


def current(conn: Connection) -> frozenset[str]:
    """Return the revisions recorded in the database (empty for a new database)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return frozenset()
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return frozenset(str(r) for r in rows)


def is_current(db: Database) -> bool:
    """Whether the database schema is at the latest revision of every branch."""
    with db.read() as conn:
        return current(conn) == heads()


def upgrade(db: Database) -> bool:
    """Bring ``db`` to the latest schema; return whether anything was applied.

    Concurrent processes are serialised by the database itself (SQLite's write lock, a
    PostgreSQL advisory lock), and the revision is checked again once the lock is held.

    Raises:
        ConfigError: the database was written by a newer loopml than this one.
    """
    with db.read() as conn:
        found = current(conn)
    if found == heads():
        return False
    _refuse_unknown(db, found)
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if current(conn) == heads():
            return False
        _run_alembic(conn)
    logger.info("migrated %s to %s", db.safe_url, sorted(heads()))
    return True


def _refuse_unknown(db: Database, found: frozenset[str]) -> None:
    unknown = sorted(found - set(revisions()))
    if unknown:
        raise ConfigError(
            f"the database {db.safe_url} has schema revision(s) {unknown} that this loopml does "
            "not know; it was written by a newer loopml. Upgrade loopml (pip install -U loopml)."
        )


def _run_alembic(conn: Connection) -> None:
    # Alembic is only needed when a migration must run, so it stays off the common path.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = conn
    command.upgrade(config, "heads")
