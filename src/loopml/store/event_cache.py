"""Read event files once: a byte-bounded cache of the parquet files of the event log.

Monitors, gates and the loop's canary read the same windows of the prediction log and
the feedback stream again and again (a monitor window reads every file written in the
last :data:`~loopml.store.events.WRITE_SLACK_MS`). :class:`CachedEventFiles` is a blob
backend view that keeps the event files it read in an :class:`EventFileCache` and asks
the real backend only for listings and for files it has not seen (or that changed).

A cached file is served only while it is the same file: each entry carries the file's
*version*, and a read whose version differs reads the file again.

* Local folders: the version is ``(inode, size, mtime)`` from ``stat`` (one system call
  per read, no open). The writer replaces files by rename, so a rewrite is a new inode.
* fsspec stores (S3, GCS, memory...): the version is the size, the content tags (ETag,
  md5, generation) and the modification time from the listing the event log makes before
  each read, so checking it costs no request. A file read without a listing first is
  read through, not kept.

A file whose version could be confused with a later rewrite (its modification time is
less than :data:`RACY_S` old and no content tag comes with it; in-memory stores stamp
each write exactly) is read but not kept until it is older.
The first and last row time of a kept file are known too (:meth:`CachedEventFiles.time_span`),
so a window read skips kept files without a row in the window instead of parsing them.
Files that disappear from a listing (compaction, retention) are dropped from the cache.
Each process shares one cache (:func:`shared_cache`) with a byte budget, so any number of
readers together keep at most :data:`MAX_BYTES`.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from loopml.errors import ArtifactNotFound
from loopml.store.blob_backends.fsspec import FsspecBlobBackend
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator
    from pathlib import Path

    from loopml.store.blob_backends import BlobBackend

#: default byte budget of a process's cache (the files are compressed parquet)
MAX_BYTES = 256 * 1024 * 1024
#: files modified less than this many seconds ago are not kept without a content tag
#: (a rewrite within the file system's timestamp granularity could keep the same version)
RACY_S = 2.0
_SUFFIX = ".parquet"
_CONTENT_TAGS = ("ETag", "etag", "md5Hash", "crc32c", "generation", "VersionId", "version_id")
_TIME_FIELDS = ("LastModified", "last_modified", "mtime", "updated", "created")


@dataclass(frozen=True)
class CacheStats:
    """What an :class:`EventFileCache` or a :class:`CachedEventFiles` view did.

    Attributes:
        hits: reads served from the cache.
        misses: reads that went to the backend.
        files: files kept now.
        bytes: bytes kept now.
        evictions: files dropped to keep to the budget.
    """

    hits: int
    misses: int
    files: int
    bytes: int
    evictions: int


@dataclass
class _Entry:
    version: Hashable
    data: bytes
    #: time column -> (first, last) row time of the file (``None``: unknown)
    spans: dict[str, tuple[dt.datetime, dt.datetime] | None] = field(default_factory=dict)


class EventFileCache:
    """The bytes of event files with their versions, least recently used dropped first.

    Args:
        max_bytes: the most bytes kept (a file larger than this is never kept).

    Raises:
        ValueError: ``max_bytes`` is negative.
    """

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
        self.max_bytes = max_bytes
        self._files: collections.OrderedDict[tuple[str, str], _Entry] = collections.OrderedDict()
        self._size = 0
        self._hits = self._misses = self._evictions = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EventFileCache({len(self._files)} files, {self._size}/{self.max_bytes} bytes)"

    def get(self, url: str, key: str, version: Hashable) -> bytes | None:
        """The kept bytes of ``key`` in the store at ``url`` when kept at ``version``."""
        with self._lock:
            entry = self._files.get((url, key))
            if entry is None or entry.version != version:
                if entry is not None:  # another version: never serve it again
                    self._drop((url, key))
                self._misses += 1
                return None
            self._files.move_to_end((url, key))
            self._hits += 1
            return entry.data

    def time_span(
        self, url: str, key: str, version: Hashable, column: str
    ) -> tuple[dt.datetime, dt.datetime] | None:
        """The first and last ``column`` time in ``key`` when kept at ``version``.

        Read once from the file's parquet statistics; ``None`` when the file is not kept
        at this version or the statistics do not tell.
        """
        with self._lock:
            entry = self._files.get((url, key))
            if entry is None or entry.version != version:
                return None
            if column in entry.spans:
                return entry.spans[column]
        span = _column_span(entry.data, column)
        with self._lock:
            entry.spans[column] = span
        return span

    def put(self, url: str, key: str, version: Hashable, data: bytes) -> None:
        """Keep ``data`` as ``key`` at ``version`` (dropping the oldest files over budget)."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            self._drop((url, key))
            self._files[(url, key)] = _Entry(version, data)
            self._size += len(data)
            while self._size > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._size -= len(dropped.data)
                self._evictions += 1

    def forget(self, url: str, key: str) -> None:
        """Drop ``key`` of the store at ``url``."""
        with self._lock:
            self._drop((url, key))

    def prune(self, url: str, prefix: str, present: set[str]) -> None:
        """Drop the files under ``prefix`` of the store at ``url`` that are not ``present``."""
        with self._lock:
            gone = [
                name for name in self._files
                if name[0] == url and name[1].startswith(prefix) and name[1] not in present
            ]  # fmt: skip
            for name in gone:
                self._drop(name)

    def clear(self) -> None:
        """Drop every file (the counters stay)."""
        with self._lock:
            self._files.clear()
            self._size = 0

    def stats(self) -> CacheStats:
        """The counters and the size now."""
        with self._lock:
            return CacheStats(
                self._hits, self._misses, len(self._files), self._size, self._evictions
            )

    def _drop(self, name: tuple[str, str]) -> None:
        entry = self._files.pop(name, None)
        if entry is not None:
            self._size -= len(entry.data)


_shared: EventFileCache | None = None
_shared_lock = threading.Lock()


def shared_cache() -> EventFileCache:
    """This process's event-file cache (:data:`MAX_BYTES`), made on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EventFileCache()
        return _shared


class CachedEventFiles:
    """A :class:`~loopml.store.blob_backends.BlobBackend` that reads event files once.

    Only ``.parquet`` files are cached; manifests, listings and writes go to the real
    backend. Backends other than local folders and fsspec stores are read through.

    Args:
        backend: the real backend.
        cache: where the files are kept (default: :func:`shared_cache`).
    """

    def __init__(self, backend: BlobBackend, cache: EventFileCache | None = None) -> None:
        self.backend = backend
        self.url = backend.url
        self.cache = cache if cache is not None else shared_cache()
        self.hits = 0
        self.misses = 0
        self._versions: dict[str, Hashable] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CachedEventFiles({self.backend!r})"

    def stats(self) -> CacheStats:
        """This view's hits and misses, with the shared cache's size."""
        shared = self.cache.stats()
        return CacheStats(self.hits, self.misses, shared.files, shared.bytes, shared.evictions)

    def get_bytes(self, key: str) -> bytes:
        """The bytes under ``key``, from the cache when this version of it was read before."""
        if not key.endswith(_SUFFIX):
            return self.backend.get_bytes(key)
        path = self.backend.local_path(key)
        if path is not None:
            return self._local_bytes(key, path)
        with self._lock:
            version = self._versions.get(key)
        if version is not None:
            data = self.cache.get(self.url, key, version)
            if data is not None:
                self._count(hit=True)
                return data
        self._count(hit=False)
        data = self.backend.get_bytes(key)
        if version is not None:
            self.cache.put(self.url, key, version, data)
        return data

    def time_span(self, key: str, column: str) -> tuple[dt.datetime, dt.datetime] | None:
        """The first and last ``column`` time of a kept event file (``None``: not known).

        :meth:`loopml.store.events.EventLog.read` skips files whose span misses its window,
        so a kept file outside the window is not parsed again.
        """
        if not key.endswith(_SUFFIX):
            return None
        path = self.backend.local_path(key)
        if path is not None:
            try:
                version = _stat_version(os.stat(path))
            except FileNotFoundError:
                return None
        else:
            with self._lock:
                known = self._versions.get(key)
            if known is None:
                return None
            version = known
        return self.cache.time_span(self.url, key, version, column)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` (always asked of the real backend), noting their versions."""
        if not isinstance(self.backend, FsspecBlobBackend):
            keys = list(self.backend.list(prefix))
        else:
            listed = _fsspec_listing(self.backend, prefix)
            keys = [key for key, _ in listed]
            versions = {key: v for key, v in listed if key.endswith(_SUFFIX) and v is not None}
            with self._lock:
                for key in [k for k in self._versions if k.startswith(prefix)]:
                    del self._versions[key]
                self._versions.update(versions)
        self.cache.prune(self.url, prefix, set(keys))
        return iter(keys)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write through to the real backend."""
        self._forget(key)
        self.backend.put_bytes(key, data)

    def put_file(self, key: str, path: Path) -> None:
        """Write through to the real backend."""
        self._forget(key)
        self.backend.put_file(key, path)

    def open(self, key: str) -> BinaryIO:
        """Open through the real backend."""
        return self.backend.open(key)

    def exists(self, key: str) -> bool:
        """Ask the real backend."""
        return self.backend.exists(key)

    def delete(self, key: str) -> None:
        """Delete in the real backend and forget the cached copy."""
        self._forget(key)
        self.backend.delete(key)

    def local_path(self, key: str) -> Path | None:
        """``None`` for event files, so readers go through :meth:`get_bytes` (the cache)."""
        return None if key.endswith(_SUFFIX) else self.backend.local_path(key)

    def _local_bytes(self, key: str, path: Path) -> bytes:
        try:
            version = _stat_version(os.stat(path))
        except FileNotFoundError as err:
            raise ArtifactNotFound(f"no blob at {key!r} under {self.url}") from err
        data = self.cache.get(self.url, key, version)
        if data is not None:
            self._count(hit=True)
            return data
        self._count(hit=False)
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())  # the version of the bytes read, not later
                data = handle.read()
        except FileNotFoundError as err:
            raise ArtifactNotFound(f"no blob at {key!r} under {self.url}") from err
        if time.time() - stat.st_mtime >= RACY_S:
            self.cache.put(self.url, key, _stat_version(stat), data)
        return data

    def _forget(self, key: str) -> None:
        with self._lock:
            self._versions.pop(key, None)
        self.cache.forget(self.url, key)

    def _count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1


def cached_event_log(log: EventLog, cache: EventFileCache | None = None) -> EventLog:
    """``log`` reading through :class:`CachedEventFiles` (``log`` itself when it already does).

    Args:
        log: the event log.
        cache: where files are kept (default: the process's :func:`shared_cache`).
    """
    if isinstance(log.backend, CachedEventFiles):
        return log
    return EventLog(CachedEventFiles(log.backend, cache), log.prefix)


def _column_span(data: bytes, column: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The min and max of a top-level timestamp ``column`` from parquet statistics."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    if metadata.num_row_groups == 0 or metadata.num_rows == 0:
        return None
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        chunks = [row_group.column(i) for i in range(row_group.num_columns)]
        chunk = next((c for c in chunks if c.path_in_schema == column), None)
        stats = None if chunk is None else chunk.statistics
        if stats is None or not stats.has_min_max:
            return None
        first, last = stats.min, stats.max
        if not isinstance(first, dt.datetime) or not isinstance(last, dt.datetime):
            return None
        first, last = _utc(first), _utc(last)
        low = first if low is None else min(low, first)
        high = last if high is None else max(high, last)
    return None if low is None or high is None else (low, high)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _stat_version(stat: os.stat_result) -> Hashable:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _fsspec_listing(backend: FsspecBlobBackend, prefix: str) -> list[tuple[str, Hashable | None]]:
    """Keys under ``prefix`` (as :meth:`FsspecBlobBackend.list` yields them) with versions."""
    folder = prefix if prefix.endswith("/") or not prefix else prefix.rsplit("/", 1)[0]
    root = backend.root
    if folder:
        where = f"{root}/{folder.rstrip('/')}" if root else folder.rstrip("/")
    else:
        where = root or "/"
    try:
        found: dict[str, dict[str, Any]] = backend.fs.find(where, detail=True)
    except FileNotFoundError:
        return []
    listed = []
    for full in sorted(found):
        key = str(full)[len(root) :].lstrip("/")
        if ".tmp-" in key.rsplit("/", 1)[-1] or not key.startswith(prefix):
            continue
        listed.append((key, _info_version(found[full], precise=backend.protocol == "memory")))
    return listed


def _info_version(info: dict[str, Any], *, precise: bool) -> Hashable | None:
    """A version from a listing entry, ``None`` when it could miss a rewrite.

    ``precise``: the times are exact per write (in-memory files), never racy.
    """
    tags = tuple(str(info[name]) for name in _CONTENT_TAGS if info.get(name) is not None)
    times = tuple(info[name] for name in _TIME_FIELDS if info.get(name) is not None)
    if not tags and not (precise and times):
        modified = _seconds(times[0]) if times else None
        if modified is None or time.time() - modified < RACY_S:
            return None
    return (info.get("size"), tags, tuple(str(t) for t in times))


def _seconds(moment: Any) -> float | None:
    if isinstance(moment, (int, float)):
        return float(moment)
    timestamp = getattr(moment, "timestamp", None)
    if timestamp is None:
        return None
    if getattr(moment, "tzinfo", True) is None:  # naive datetimes in listings are UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return float(moment.timestamp())
