"""A migrated, empty SQLite database kept in the user's cache; new SQLite files copy it.

Running every migration on a brand-new SQLite file costs about 0.2 s of CPU (Alembic's
import and eleven revisions), which a fresh project pays in its first process. The
result depends only on the migration files, so the first process that migrates a new
file keeps a copy under ``$XDG_CACHE_HOME/loopml`` (``~/.cache/loopml``), named by a
digest of those files, and later new files start as that copy. The copy is put in
place with a hard link, which fails when another process created the file first, so
concurrent creators never overwrite each other. Anything that goes wrong (no cache
folder, a read-only disk) falls back to migrating, and ``upgrade`` still checks the
revisions of every opened database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
from functools import cache
from pathlib import Path

from loopml.store.migrations.schema import VERSIONS_DIR

logger = logging.getLogger(__name__)


@cache
def schema_key() -> str:
    """A digest of every migration file and of the SQLite library that wrote the copy."""
    digest = hashlib.sha256(sqlite3.sqlite_version.encode())
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def cache_dir() -> Path:
    """The folder of the cached copy: ``$XDG_CACHE_HOME/loopml`` or ``~/.cache/loopml``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "loopml"


def template_path() -> Path:
    """Where the migrated, empty database of this schema is cached."""
    return cache_dir() / f"sqlite-schema-{schema_key()}.db"


def is_new(path: Path) -> bool:
    """Whether no file is at ``path`` yet (an empty file may be a database being created)."""
    return not os.path.lexists(path)


def seed(path: Path) -> bool:
    """Create the new database file ``path`` as a copy of the cached one; return whether it did.

    Returns ``False`` (and changes nothing) when a file is already at ``path``, when no
    copy is cached, or when the copy cannot be made.
    """
    template = template_path()
    if not is_new(path) or not template.is_file():
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # the mode sqlite3 would have created it with
            with os.fdopen(fd, "wb") as out, template.open("rb") as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            os.link(tmp, path)  # fails if another process created it meanwhile
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except FileExistsError:
        return False
    except OSError as err:
        logger.debug("could not seed %s from %s: %s", path, template, err)
        return False
    return True


def _holds_no_rows(conn: sqlite3.Connection) -> bool:
    tables = [
        str(name)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name != "alembic_version"
    ]
    return not any(conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() for name in tables)


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` is not thread-safe)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def keep(path: Path) -> None:
    """Cache a copy of the freshly migrated database ``path`` (best effort).

    The copy is a consistent snapshot; it is kept only if it holds no row but the schema
    revisions (another process may already be writing to ``path``).
    """
    template = template_path()
    if template.is_file():
        return
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=template.parent, prefix=".sqlite-schema-", suffix=".tmp")
        os.close(fd)
        try:
            source, target = sqlite3.connect(path), sqlite3.connect(tmp)
            try:
                source.backup(target)
                empty = _holds_no_rows(target)
            finally:
                source.close()
                target.close()
            if empty:
                os.replace(tmp, template)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, sqlite3.Error) as err:
        logger.debug("could not cache the schema of %s: %s", path, err)
