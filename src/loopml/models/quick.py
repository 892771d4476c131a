"""``lm.load_model``: the load path, kept cheap for fresh processes.

A process that has not built a client yet (a batch job, a notebook kernel, a server
start) and whose settings name a SQLite database and a local artifact folder resolves
the URI with the standard library's ``sqlite3`` (one indexed query) and reads the
package through the store's own :class:`~loopml.store.blobs.BlobStore` over its local
backend (verified reads, a file hashed again only when it changed). It imports neither
SQLAlchemy nor the registry code (the store's package loads lazily), so the cost of a
fresh load is that of unpickling the model. Everything else (a configured client,
PostgreSQL, S3, an unknown name that needs a helpful error) goes through
``client.models.load_model``.

:class:`SqliteRegistry` is that read path as an object: ``loopml serve`` resolves its
alias (at start and on every poll), loads versions and reads the canary share through
it on such a store, so that a server over the embedded default never imports SQLAlchemy
unless something needs the full store (``/metrics`` collectors, swap alert hooks).
"""

from __future__ import annotations

import sqlite3
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopml import _hooks, _registry, config
from loopml.errors import ArtifactNotFound, BlobCorrupted
from loopml.models.loaded import LoadedModel
from loopml.models.loading import PackageLoader
from loopml.models.packages import MANIFEST
from loopml.models.uris import ModelUri, parse_uri
from loopml.store.blob_backends.local import LocalBlobBackend
from loopml.store.blobs import BlobStore

if TYPE_CHECKING:
    from loopml.config import Settings

_LOADERS: dict[tuple[str, str], PackageLoader] = {}
_LOCK = threading.Lock()
_CHUNK = 1 << 20


def load_model(uri: Any, *, cache: bool = True) -> LoadedModel:
    """Load ``models:/name@alias``, ``models:/name/N``, ``runs:/<id>/model`` or a package.

    Args:
        uri: a model URI, or a ``ModelPackage``/``ModelVersion``.
        cache: reuse (and keep) the loaded model in this process, keyed by package digest.

    Returns:
        The :class:`LoadedModel`.

    Raises:
        ModelNotFound, ModelVersionNotFound, AliasNotFound, PackageNotFound: nothing there.
        BlobCorrupted: a package file no longer matches its digest.
        MissingDependency: the flavor's extra is not installed.

    Example:
        >>> model = lm.load_model("models:/churn@champion")  # doctest: +SKIP
    """
    client = _configured_client()
    if client is None and isinstance(uri, str):
        try:
            loaded = _fast_load(config.resolve(), uri, cache=cache)
        except BlobCorrupted:
            loaded = None  # the full path raises it again, naming what holds the blob
        if loaded is not None:
            return loaded
    if client is None:
        client = _hooks.default_client()
    model: LoadedModel = client.models.load_model(uri, cache=cache)
    return model


def _configured_client() -> Any:
    # A client built by lm.configure() or an earlier lm.* call wins: it holds the settings
    # the user chose and the process's model cache.
    return _hooks.current_client()


def _fast_load(settings: Settings, uri: str, *, cache: bool) -> LoadedModel | None:
    """Load through sqlite3 and local blob files, or return ``None`` to take the full path."""
    registry = SqliteRegistry.for_settings(settings)
    if registry is None:
        return None
    try:
        return registry.load(uri, cache=cache)
    except sqlite3.Error:
        return None  # an old schema or a locked file: the full path knows what to do


class SqliteRegistry:
    """Read-only registry look-ups over an embedded SQLite database, without SQLAlchemy.

    The light read path of a process that only reads the registry (``lm.load_model`` in
    a fresh process, ``loopml serve`` and its alias poll): one indexed ``sqlite3`` query
    per look-up, packages read through the store's verified :class:`PackageLoader` (each
    file's digest is checked before anything is unpickled). Every method answers ``None``
    where the full registry must answer instead (nothing found: its error lists what
    exists) and lets :class:`sqlite3.Error` propagate (an old schema, a locked file), so
    that callers fall back to ``loopml.models``.

    Build it with :meth:`for_settings`, which returns ``None`` for any other store
    (PostgreSQL, a ``tracking_uri`` server, remote artifacts).

    Args:
        db_path: the SQLite database file.
        artifacts: the local artifact folder (path or ``file://`` URL).
        home: the loopml home (the loaded-package cache lives under it).
    """

    def __init__(self, db_path: Path, artifacts: str, home: Path) -> None:
        self.db_path = db_path
        self.artifacts = artifacts
        self.home = home

    @classmethod
    def for_settings(cls, settings: Settings) -> SqliteRegistry | None:
        """Return the light registry of ``settings``, or ``None`` when it does not apply."""
        if settings.tracking_uri:
            return None  # the registry is on a server (LOOPML_TRACKING_URI)
        db_path = sqlite_path(settings.db_url)
        if db_path is None or not db_path.is_file():
            return None
        if _registry.scheme_of(settings.artifacts) not in {"", "file"}:
            return None
        return cls(db_path, settings.artifacts, settings.home)

    @cached_property
    def blobs(self) -> BlobStore:
        """The store's blob store over the local artifact folder (verified reads)."""
        return BlobStore(LocalBlobBackend(self.artifacts))

    def find(self, parsed: ModelUri) -> tuple[str, str | None, int | None, str | None] | None:
        """Return ``(digest, name, version, run_id)`` of a parsed URI, or ``None``."""
        return _resolve(self.db_path, parsed)

    def alias_version(self, name: str, alias: str) -> int | None:
        """Return the version ``name@alias`` points at, or ``None`` (one query)."""
        row = self._one(_ALIAS_VERSION, (name, alias))
        return None if row is None else int(row[0])

    def model_tag(self, name: str, key: str) -> tuple[bool, str | None]:
        """Return ``(the model exists, its tag key's value or None)`` (one query)."""
        row = self._one(_MODEL_TAG, (key, name))
        return (False, None) if row is None else (True, row[0])

    def load(self, uri: str, *, cache: bool = True) -> LoadedModel | None:
        """Load a model URI from the verified local package files, or return ``None``.

        Raises:
            BlobCorrupted: a package file no longer matches its digest.
            sqlite3.Error: the database cannot answer (an old schema, a locked file).
        """
        found = self.find(parse_uri(uri))
        if found is None:
            return None  # let the registry raise its error, listing what exists
        digest, name, version, run_id = found
        loader = _loader(self.artifacts, self.home)
        if loader is None:
            return None  # not a local artifact folder: the full path knows what to do
        try:
            loaded = loader.load(digest, cache=cache)
        except ArtifactNotFound:
            return None
        return LoadedModel(
            flavor=loaded.flavor,
            native=loaded.native,
            manifest=loaded.manifest,
            signature=loaded.signature,
            digest=digest,
            uri=uri,
            name=name,
            version=version,
            run_id=run_id,
        )

    def _one(self, query: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        conn = _connect(self.db_path)
        try:
            row: tuple[Any, ...] | None = conn.execute(query, params).fetchone()
        finally:
            conn.close()
        return row


def sqlite_path(url: str) -> Path | None:
    """Return the file of a ``sqlite:///`` URL, or ``None`` (memory, options, other dialects)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] != "sqlite" or "?" in rest:
        return None
    path = rest[1:] if rest.startswith("/") else rest
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def local_blobs(artifacts: str) -> BlobStore | None:
    """Return the blob store of a local artifact folder, or ``None`` for other backends.

    It is the store's own :class:`~loopml.store.blobs.BlobStore` over its local backend
    (verified reads, hashing a file again only when it changed), without opening the
    database or importing SQLAlchemy.
    """
    if _registry.scheme_of(artifacts) not in {"", "file"}:
        return None
    return BlobStore(LocalBlobBackend(artifacts))


_ALIAS = (
    "SELECT v.digest, v.name, v.version, v.run_id FROM model_aliases a JOIN model_versions v "
    "ON a.name = v.name AND a.version = v.version WHERE a.name = ? AND a.alias = ?"
)
_VERSION = "SELECT digest, name, version, run_id FROM model_versions WHERE name = ? AND version = ?"
_LATEST = (
    "SELECT digest, name, version, run_id FROM model_versions WHERE name = ? "
    "ORDER BY version DESC LIMIT 1"
)
_RUN = "SELECT digest FROM run_artifacts WHERE run_id = ? AND path = ?"
_ALIAS_VERSION = "SELECT version FROM model_aliases WHERE name = ? AND alias = ?"
_MODEL_TAG = (
    "SELECT t.value FROM registered_models m LEFT JOIN model_tags t "
    "ON t.name = m.name AND t.key = ? WHERE m.name = ?"
)


def _connect(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)


def _resolve(
    db_path: Path, parsed: ModelUri
) -> tuple[str, str | None, int | None, str | None] | None:
    if parsed.kind == "package":
        return str(parsed.digest), None, None, None
    conn = _connect(db_path)
    try:
        if parsed.kind == "run":
            row = conn.execute(_RUN, (parsed.run_id, f"{parsed.path}/{MANIFEST}")).fetchone()
            return None if row is None else (row[0], None, None, parsed.run_id)
        if parsed.kind == "alias":
            row = conn.execute(_ALIAS, (parsed.name, parsed.alias)).fetchone()
        elif parsed.kind == "version":
            row = conn.execute(_VERSION, (parsed.name, parsed.version)).fetchone()
        else:
            row = conn.execute(_LATEST, (parsed.name,)).fetchone()
    finally:
        conn.close()
    return None if row is None else (row[0], row[1], int(row[2]), row[3])


def _loader(artifacts: str, home: Path) -> PackageLoader | None:
    key = (artifacts, str(home))
    with _LOCK:
        loader = _LOADERS.get(key)
        if loader is None:
            blobs = local_blobs(artifacts)
            if blobs is None:
                return None
            loader = PackageLoader(blobs, home / "cache" / "models")
            _LOADERS[key] = loader
    return loader
