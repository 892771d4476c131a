"""The foundation every component uses: metadata database + content-addressed blobs.

The package ``loopml.store`` re-exports these names lazily.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from loopml import _registry
from loopml._utils.clock import now_ms
from loopml.store.blob_backends import open_backend
from loopml.store.blobs import OCTET_STREAM, BlobRef, BlobStore
from loopml.store.db import Database
from loopml.store.tables import core

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from sqlalchemy import Connection

    from loopml.config import Settings
    from loopml.store.hooks import LifecycleEvent


class Store:
    """Metadata database plus blob store, opened from settings or URLs.

    Args:
        db: the metadata :class:`Database`.
        blobs: the content-addressed :class:`BlobStore`.
        home: the loopml home folder (caches and embedded defaults live there).

    Example:
        >>> store = Store.open("sqlite://", "memory://store-doc")
        >>> store.put_blob(b"abc").size
        3
    """

    def __init__(self, db: Database, blobs: BlobStore, home: Path | None = None) -> None:
        self.db = db
        self.blobs = blobs
        self.home = home
        #: run-lifecycle listeners (see :mod:`loopml.store.hooks`), registered by the client
        self.hooks: list[Callable[[LifecycleEvent], None]] = []
        blobs.owners = self.blob_owners

    def __repr__(self) -> str:
        return f"Store(db={self.db.safe_url!r}, artifacts={self.blobs.backend.url!r})"

    @classmethod
    def open(
        cls,
        db_url: str,
        artifacts: str,
        home: str | os.PathLike[str] | None = None,
        artifacts_options: Mapping[str, Any] | None = None,
    ) -> Store:
        """Open (and migrate) the database at ``db_url`` and the artifact store ``artifacts``.

        ``artifacts_options`` are fsspec storage options for a remote artifact store
        (``endpoint_url``, ``key``, ``secret`` of an S3-compatible server...).
        """
        home_path = Path(home) if home is not None else None
        if home_path is not None:
            prepare_home(home_path)
        cache = home_path / "cache" / "blobs" if home_path is not None else None
        # Storage options describe a remote file system; a local folder takes none.
        remote = _registry.scheme_of(artifacts) not in ("", "file")
        options = dict(artifacts_options or {}) if remote else {}
        backend = open_backend(artifacts, **options)
        return cls(Database(db_url), BlobStore(backend, cache), home_path)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Open the store that ``settings`` describe."""
        return cls.open(
            settings.db_url, settings.artifacts, settings.home, settings.artifacts_options
        )

    def put_blob(self, data: bytes, media_type: str = OCTET_STREAM) -> BlobRef:
        """Store bytes as a blob and record it in the ``blobs`` table."""
        ref = self.blobs.put_bytes(data, media_type)
        with self.db.write() as conn:
            self.record_blob(conn, ref)
        return ref

    def put_blob_file(
        self, path: str | os.PathLike[str], media_type: str = OCTET_STREAM
    ) -> BlobRef:
        """Store a file as a blob and record it in the ``blobs`` table."""
        ref = self.blobs.put_file(path, media_type)
        with self.db.write() as conn:
            self.record_blob(conn, ref)
        return ref

    def record_blob(self, conn: Connection, ref: BlobRef) -> None:
        """Insert ``ref`` into the ``blobs`` table inside the caller's transaction."""
        stmt = self.db.upsert(core.blobs, ["digest"], [])
        conn.execute(
            stmt,
            {
                "digest": ref.digest,
                "size": ref.size,
                "media_type": ref.media_type,
                "created_at": now_ms(),
            },
        )

    def record_blobs(self, conn: Connection, refs: Sequence[BlobRef]) -> None:
        """Insert several refs into the ``blobs`` table inside the caller's transaction."""
        if not refs:
            return
        now = now_ms()
        conn.execute(
            self.db.upsert(core.blobs, ["digest"], []),
            [
                {"digest": r.digest, "size": r.size, "media_type": r.media_type, "created_at": now}
                for r in refs
            ],
        )

    def blob_owners(self, digest: str) -> list[str]:
        """Describe the run artifacts, model versions and dataset versions holding a blob."""
        # Only integrity errors need this; it reads the model and dataset tables too.
        from loopml.store.owners import blob_owners

        return blob_owners(self.db, digest)

    def blob_info(self, digest: str) -> BlobRef | None:
        """Return the recorded size and media type of a blob, or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(select(core.blobs).where(core.blobs.c.digest == digest)).first()
        return None if row is None else BlobRef(row.digest, row.size, row.media_type)

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


#: written into a home loopml creates (and into any ``.loopml`` folder lacking one): the
#: home holds the SQLite file, artifacts and caches, which belong in no git repository,
#: and a project whose ``git status`` shows them would make every run "dirty".
HOME_GITIGNORE = "# Created by loopml: the store (database, artifacts, caches) is not source.\n*\n"


def prepare_home(home: Path) -> None:
    """Create ``home`` if missing and keep it out of git (a ``.gitignore`` of ``*``)."""
    created = not home.exists()
    if created:
        home.mkdir(parents=True, exist_ok=True)
    ignore = home / ".gitignore"
    if (created or home.name == ".loopml") and not ignore.exists():
        with contextlib.suppress(OSError):  # a read-only home still works; git just sees it
            ignore.write_text(HOME_GITIGNORE)
