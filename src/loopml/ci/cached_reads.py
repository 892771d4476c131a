"""Read the prediction log again and again without downloading it again and again.

The gates and the loop's canary read the same labelled window many times (one canary
check every ``poll_s``). Event files are written once, whole, and never changed
(:mod:`loopml.store.events`), so a file read before is the same file now: this blob
backend view keeps the event files it has read, up to a byte budget, and asks the real
backend only for listings and for files it has not seen. On object storage that turns
each check from hundreds of GETs into a listing plus the files written since; on a local
folder, from hundreds of file opens into a directory walk.
"""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING, BinaryIO

from loopml.store.events import EventLog

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from loopml.store.blob_backends import BlobBackend

#: default byte budget of the cache (the files are compressed parquet)
MAX_BYTES = 256 * 1024 * 1024


class CachedEventFiles:
    """A :class:`~loopml.store.blob_backends.BlobBackend` that keeps event files it read.

    Only ``.parquet`` files are kept (manifests and everything else are read through);
    the least recently read file goes first when the budget is spent.

    Args:
        backend: the real backend.
        max_bytes: the most bytes kept.
    """

    def __init__(self, backend: BlobBackend, max_bytes: int = MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
        self.backend = backend
        self.url = backend.url
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._files: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CachedEventFiles({self.backend!r}, {len(self._files)} files)"

    def get_bytes(self, key: str) -> bytes:
        """The bytes under ``key``, from the cache when this file was read before."""
        if not key.endswith(".parquet"):
            return self.backend.get_bytes(key)
        with self._lock:
            data = self._files.get(key)
            if data is not None:
                self._files.move_to_end(key)
                self.hits += 1
                return data
        data = self.backend.get_bytes(key)
        self._keep(key, data)
        return data

    def _keep(self, key: str, data: bytes) -> None:
        with self._lock:
            self.misses += 1
            if len(data) > self.max_bytes or key in self._files:
                return
            self._files[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._size -= len(dropped)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` (always asked of the real backend)."""
        return self.backend.list(prefix)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write through to the real backend."""
        self.backend.put_bytes(key, data)

    def put_file(self, key: str, path: Path) -> None:
        """Write through to the real backend."""
        self.backend.put_file(key, path)

    def open(self, key: str) -> BinaryIO:
        """Open through the real backend."""
        return self.backend.open(key)

    def exists(self, key: str) -> bool:
        """Ask the real backend."""
        return self.backend.exists(key)

    def delete(self, key: str) -> None:
        """Delete in the real backend and forget the cached copy."""
        with self._lock:
            data = self._files.pop(key, None)
            if data is not None:
                self._size -= len(data)
        self.backend.delete(key)

    def local_path(self, key: str) -> Path | None:
        """``None`` for event files, so readers go through :meth:`get_bytes` (the cache)."""
        return None if key.endswith(".parquet") else self.backend.local_path(key)


def cached_event_log(log: EventLog, max_bytes: int = MAX_BYTES) -> EventLog:
    """``log`` reading through a :class:`CachedEventFiles` (no-op when it already does)."""
    if isinstance(log.backend, CachedEventFiles):
        return log
    return EventLog(CachedEventFiles(log.backend, max_bytes), log.prefix)
