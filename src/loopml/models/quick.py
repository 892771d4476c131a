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
"""

from __future__ import annotations

import sqlite3
import threading
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
    if settings.tracking_uri:
        return None  # the registry is on a server (LOOPML_TRACKING_URI)
    db_path = sqlite_path(settings.db_url)
    artifacts = settings.artifacts
    if db_path is None or not db_path.is_file() or local_blobs(artifacts) is None:
        return None
    parsed = parse_uri(uri)
    try:
        found = _resolve(db_path, parsed)
    except sqlite3.Error:
        return None  # an old schema or a locked file: the full path knows what to do
    if found is None:
        return None  # let the registry raise its error, listing what exists
    digest, name, version, run_id = found
    loader = _loader(artifacts, settings.home)
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


def _resolve(
    db_path: Path, parsed: ModelUri
) -> tuple[str, str | None, int | None, str | None] | None:
    if parsed.kind == "package":
        return str(parsed.digest), None, None, None
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
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
