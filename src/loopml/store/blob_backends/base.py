"""Byte storage under the content-addressed blob store: a tiny Protocol, one file per backend.

The package ``loopml.store.blob_backends`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from loopml import _registry

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import BinaryIO


@runtime_checkable
class BlobBackend(Protocol):
    """Bytes in, bytes out, under string keys. Writes must be atomic."""

    url: str

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (readers see all of it or nothing)."""

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key`` atomically."""

    def get_bytes(self, key: str) -> bytes:
        """Return the bytes under ``key``; raise ``ArtifactNotFound`` if absent."""

    def open(self, key: str) -> BinaryIO:
        """Open ``key`` for streaming reads; raise ``ArtifactNotFound`` if absent."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""

    def list(self, prefix: str) -> Iterator[str]:
        """Yield every key that starts with ``prefix`` (a folder-like prefix ending in '/')."""

    def delete(self, key: str) -> None:
        """Delete ``key`` if it exists."""

    def local_path(self, key: str) -> Path | None:
        """Return a local file path for ``key`` when the backend is on local disk, else ``None``."""


def open_backend(url: str, **options: object) -> BlobBackend:
    """Open the backend for ``url`` (a local path, ``file://``, ``memory://``, ``s3://``...)."""
    backend_class = _registry.load("blobs", _registry.scheme_of(url))
    backend: BlobBackend = backend_class(url, **options)
    return backend
