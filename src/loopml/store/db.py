"""The metadata database: one SQLAlchemy engine, SQLite or PostgreSQL, same behaviour.

Dialect differences live here and nowhere else:

* SQLite runs in WAL mode with a long busy timeout, and every write transaction starts
  with ``BEGIN IMMEDIATE`` so that concurrent writer processes queue on the lock instead
  of failing with "database is locked" when a read lock cannot be upgraded.
* PostgreSQL URLs without a driver use psycopg 3. A pooled connection is checked before
  use only when it may be dead (:func:`check_liveness`): its socket has something to read
  (the server closed it, e.g. after a restart or ``pg_terminate_backend``) or it sat idle
  for ``PING_AFTER_IDLE_S`` (a silently dropped one); a dead one is replaced.
* Upserts use each dialect's ``INSERT ... ON CONFLICT``.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import select
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from loopml._registry import missing_dependency
from loopml._utils.secrets import redact
from loopml.errors import BackendUnavailable, ConfigError, InvalidInput
from loopml.store import migrations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from sqlalchemy import ColumnElement, Connection, Engine, Table
    from sqlalchemy.sql.dml import Insert

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 120_000
#: PostgreSQL defaults (see docs/scaling.md); a URL's own query parameters win
PG_CONNECT_TIMEOUT_S = 10
PG_STATEMENT_TIMEOUT_MS = 300_000
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 30
#: waits before the 2nd, 3rd and 4th attempt to open a connection
CONNECT_BACKOFF_S = (0.25, 1.0, 2.0)
#: a pooled connection idle this long is pinged before use (see check_liveness)
PING_AFTER_IDLE_S = 5.0
_WRITE_OPTION = "loopml_write"


class Database:
    """A SQLAlchemy engine plus the loopml conventions for reading and writing.

    Args:
        url: SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://user@host/db``).
        migrate: bring the schema to the latest version on open (default ``True``).

    Example:
        >>> db = Database("sqlite://")
        >>> with db.read() as conn:
        ...     conn.exec_driver_sql("select 1").scalar()
        1
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = _create_engine(self.url)
        self.dialect: str = self.engine.dialect.name
        self._migrated = False
        self._lock = threading.Lock()
        self._upserts: dict[tuple[object, ...], Insert] = {}
        if migrate:
            self.ensure_schema()

    def __repr__(self) -> str:
        return f"Database({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, safe for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        """Whether this database is SQLite."""
        return self.dialect == "sqlite"

    def ensure_schema(self) -> None:
        """Apply pending migrations once per process (safe with concurrent processes)."""
        if self._migrated:
            return
        with self._lock:
            if not self._migrated:
                new_file = self._new_sqlite_file()
                seeded = new_file is not None and migrations.seed(new_file)
                try:
                    with self._connect():  # reachable (with retries) before migrating
                        pass
                    _migrate(self)
                except sa_exc.OperationalError as err:
                    raise self._unavailable(err) from err
                if new_file is not None and not seeded:
                    migrations.keep(new_file)  # later new files start from this one
                self._migrated = True

    def _new_sqlite_file(self) -> Path | None:
        """The file of a SQLite database that does not exist yet, else ``None``."""
        if not self.is_sqlite:
            return None
        name = make_url(self.url).database
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        path = Path(name)
        return path if migrations.is_new(path) else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Yield a connection for reading; nothing is committed."""
        try:
            with self._connect() as conn:
                yield conn
        except sa_exc.OperationalError as err:
            raise self._unavailable(err) from err

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Yield a connection inside one transaction, committed on success, rolled back on error.

        On SQLite the transaction takes the write lock up front (``BEGIN IMMEDIATE``).
        """
        try:
            with self._connect() as raw:
                conn = raw.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    yield conn
        except sa_exc.OperationalError as err:
            raise self._unavailable(err) from err

    def _connect(self) -> Connection:
        """Open a connection, retrying with backoff while the server cannot be reached.

        Only opening is retried (a statement that failed is never replayed); the pool
        times out after ``PG_POOL_TIMEOUT_S`` when every connection is busy.
        """
        for wait in (*CONNECT_BACKOFF_S, None):
            try:
                return self.engine.connect()
            except sa_exc.TimeoutError as err:  # pool exhausted: no retry, say so
                raise BackendUnavailable(
                    f"every connection to {self.safe_url} stayed busy for "
                    f"{PG_POOL_TIMEOUT_S} s (pool {PG_POOL_SIZE} + overflow {PG_MAX_OVERFLOW}); "
                    "raise LOOPML_DB_POOL_SIZE or reduce concurrent work"
                ) from err
            except sa_exc.OperationalError as err:
                if wait is None or self.is_sqlite:
                    raise
                logger.warning(
                    "cannot connect to %s (%s); retrying in %.2f s",
                    self.safe_url, str(err.orig).strip(), wait,
                )  # fmt: skip
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def upsert(
        self,
        table: Table,
        keys: Sequence[str],
        update: Sequence[str],
        where: Callable[[Any], ColumnElement[bool]] | None = None,
    ) -> Insert:
        """Return an ``INSERT ... ON CONFLICT (keys) DO UPDATE`` for this dialect.

        Args:
            table: target table.
            keys: the conflict target (a primary key or unique constraint).
            update: columns replaced by the incoming row's values; empty means DO NOTHING.
            where: optional ``f(excluded) -> condition``; the update happens only where the
                condition holds; ``excluded`` is the incoming row, the table the existing one.
        """
        # Statements are immutable and building one costs more than running it on SQLite,
        # so each distinct upsert is built once (``where`` must be a long-lived function).
        key = (table, tuple(keys), tuple(update), where)
        cached = self._upserts.get(key)
        if cached is not None:
            return cached
        # The dialect's own module (imported by the engine already); naming it here would
        # import the PostgreSQL dialect, and asyncio with it, into every SQLite process.
        module: Any = importlib.import_module(f"sqlalchemy.dialects.{self.dialect}")
        stmt = module.insert(table)
        if not update:
            built: Insert = stmt.on_conflict_do_nothing(index_elements=list(keys))
        else:
            values = {name: stmt.excluded[name] for name in update}
            condition = where(stmt.excluded) if where is not None else None
            built = stmt.on_conflict_do_update(
                index_elements=list(keys), set_=values, where=condition
            )
        if len(self._upserts) > 512:
            self._upserts.clear()
        self._upserts[key] = built
        return built

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _unavailable(self, err: sa_exc.OperationalError) -> Exception:
        text = str(err.orig) if err.orig is not None else str(err)
        if "locked" in text:
            # Should never happen with BEGIN IMMEDIATE and the busy timeout; keep the original.
            return err
        return BackendUnavailable(
            f"cannot use the metadata database {self.safe_url}: {text.strip()}. "
            "Check that it is running and that LOOPML_DB_URL is right."
        )


def normalise_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver for PostgreSQL and sqlite folders created."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as err:
        raise ConfigError(
            f"LOOPML_DB_URL {redact(url)!r} is not a database URL; use sqlite:///path/to/loopml.db "
            "or postgresql://user@host:5432/dbname"
        ) from err
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif backend not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"unsupported database {backend!r} in {redact(url)!r}; loopml supports SQLite and "
            "PostgreSQL"
        )
    return parsed.render_as_string(hide_password=False)


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        query = dict(parsed.query)
        query.setdefault("connect_timeout", str(PG_CONNECT_TIMEOUT_S))
        query.setdefault("options", f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
        try:
            engine = create_engine(
                parsed.set(query=query),
                pool_size=_env_int("LOOPML_DB_POOL_SIZE", PG_POOL_SIZE),
                max_overflow=_env_int("LOOPML_DB_MAX_OVERFLOW", PG_MAX_OVERFLOW),
                pool_timeout=PG_POOL_TIMEOUT_S,
            )
        except ModuleNotFoundError as err:
            raise missing_dependency(err) from err
        event.listen(engine, "before_cursor_execute", _refuse_unstorable_text)
        check_liveness(engine)
        return engine
    in_memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
    )
    _install_sqlite_hooks(engine, in_memory=in_memory)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable_text)
    return engine


def check_liveness(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection on checkout, pinging it only when in doubt.

    SQLAlchemy's ``pool_pre_ping`` costs a round trip on every checkout. Here a connection
    is pinged only when its socket has input waiting while idle (the server closed it or
    sent a termination notice), when psycopg knows it is closed, or when it has been idle
    for ``PING_AFTER_IDLE_S`` (a connection dropped without a word, e.g. by a firewall).
    A failed ping invalidates the pool's older connections and the checkout reconnects,
    as with ``pool_pre_ping``.
    """
    event.listen(engine, "connect", _mark_idle)
    event.listen(engine, "checkin", _mark_idle)
    dialect = engine.dialect

    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if (
            since is not None
            and time.monotonic() - since < PING_AFTER_IDLE_S
            and not _has_input(dbapi_connection)
        ):
            return
        try:
            dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # leave no transaction open (autocommit may follow)
        except dialect.loaded_dbapi.Error as err:
            if dialect.is_disconnect(err, dbapi_connection, None):
                raise sa_exc.InvalidatePoolError(str(err)) from err
            raise

    event.listen(engine, "checkout", on_checkout)


_IDLE_SINCE = "loopml_idle_since"


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection may be dead: closed, or its socket is readable."""
    if getattr(dbapi_connection, "closed", False):
        return True
    try:
        fd = dbapi_connection.pgconn.socket
        readable, _, _ = select.select([fd], [], [], 0)
    except Exception:  # not psycopg 3, no socket (closed), or a descriptor select refuses
        return True
    return bool(readable)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{name}={text!r} must be a whole number of connections, e.g. 10")
    return value


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _refuse_unstorable_text(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, many: bool
) -> None:
    """Refuse text that one backend cannot store, the same way on every backend.

    PostgreSQL rejects NUL in text while SQLite stores it, and no driver encodes a lone
    surrogate; without this guard the same call would succeed on one backend and fail
    with a raw driver error on the other.
    """
    for row in parameters if many else (parameters,):
        values = row.values() if isinstance(row, dict) else row
        for value in values or ():
            if type(value) is str and (
                "\x00" in value or (not value.isascii() and _UNSTORABLE.search(value))
            ):
                raise InvalidInput(
                    f"text {value[:60]!r} holds a NUL or lone surrogate character, which the "
                    "metadata database cannot store; remove it"
                )


def _install_sqlite_hooks(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _migrate(db: Database) -> None:
    migrations.upgrade(db)
