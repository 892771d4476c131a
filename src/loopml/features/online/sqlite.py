"""SQLite online store: one ``WITHOUT ROWID`` table keyed by (view table, entity key).

Each thread gets its own connection (WAL mode, so readers never wait for a writer);
a batch is written in one ``BEGIN IMMEDIATE`` transaction, so a failed materialization
leaves the previous values untouched.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from loopml.errors import BackendUnavailable, ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS loopml_online ("
    "tbl TEXT NOT NULL, k BLOB NOT NULL, ev REAL NOT NULL, v BLOB NOT NULL, "
    "PRIMARY KEY (tbl, k)) WITHOUT ROWID"
)
_UPSERT = (
    "INSERT INTO loopml_online (tbl, k, ev, v) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (tbl, k) DO UPDATE SET ev = excluded.ev, v = excluded.v "
    "WHERE excluded.ev >= loopml_online.ev"
)
_ONE = "SELECT v FROM loopml_online WHERE tbl = ? AND k = ?"
_CHUNK = 500


def sqlite_path(url: str) -> str:
    """Return the file path of a ``sqlite:///path`` URL (``":memory:"`` for memory).

    As with SQLAlchemy, ``sqlite:////abs/online.db`` is absolute and ``sqlite:///online.db``
    relative to the current folder.
    """
    if url in ("sqlite://", "sqlite:///", "sqlite:///:memory:"):
        return ":memory:"
    if not url.startswith("sqlite:///"):
        raise ConfigError(f"{url!r} is not a sqlite URL; use sqlite:///path/to/online.db")
    return url.removeprefix("sqlite:///")


class SqliteOnlineStore:
    """The embedded online store (the default): ``sqlite:///path/to/online.db``.

    Example:
        >>> store = SqliteOnlineStore("sqlite://")
        >>> store.write_batch("t", [b"1"], [bytes(8) + b"x"], [0.0])
        1
        >>> store.read("t", [b"1", b"2"])
        [b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00x', None]
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._many: dict[int, str] = {}
        self._opened: list[sqlite3.Connection] = []
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._conn()

    def __repr__(self) -> str:
        return f"SqliteOnlineStore({self.url!r})"

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.path == ":memory:":
            with self._lock:
                if self._shared is None:
                    self._shared = self._connect()
            conn = self._shared
        else:
            conn = self._connect()
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._opened.append(conn)
        except sqlite3.Error as err:
            raise BackendUnavailable(
                f"cannot open the SQLite online store {self.url}: {err}; check the path and "
                "LOOPML_ONLINE_STORE"
            ) from err
        return conn

    def write_batch(
        self,
        table: str,
        keys: Sequence[bytes],
        values: Sequence[bytes],
        event_us: Sequence[float],
    ) -> int:
        """Write all values in one transaction, keeping newer stored values."""
        conn = self._conn()
        rows = zip([table] * len(keys), keys, event_us, values, strict=True)
        with self._lock:
            before = conn.total_changes
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_UPSERT, rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return conn.total_changes - before

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        """Return the value of each key (``None`` where missing), in key order."""
        conn = self._conn()
        if len(keys) == 1:
            row = conn.execute(_ONE, (table, keys[0])).fetchone()
            return [None if row is None else row[0]]
        found: dict[bytes, bytes] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            cursor = conn.execute(self._many_sql(len(chunk)), (table, *chunk))
            found.update(cursor.fetchall())
        return [found.get(k) for k in keys]

    def _many_sql(self, n: int) -> str:
        sql = self._many.get(n)
        if sql is None:
            marks = ", ".join("?" * n)
            sql = f"SELECT k, v FROM loopml_online WHERE tbl = ? AND k IN ({marks})"
            self._many[n] = sql
        return sql

    def drop(self, table: str) -> None:
        """Delete every value of ``table``."""
        conn = self._conn()
        with self._lock:
            conn.execute("DELETE FROM loopml_online WHERE tbl = ?", (table,))

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
            self._shared = None
        self._local = threading.local()
