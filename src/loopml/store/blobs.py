"""Content-addressed blob store: sha256 digests, deduplicated, verified on every read.

A blob lives at ``blobs/sha256/<2 hex>/<62 hex>`` in its backend and is never
overwritten. Reads recompute the digest and raise :class:`BlobCorrupted` on a mismatch,
so corrupted bytes are never handed out silently. A local file is re-hashed unless it
is the very file hashed before: same inode, size, mtime and ctime (a write that restores
the mtime still moves the ctime). A corruption error names the blob and, through the
``owners`` hook the :class:`~loopml.store.Store` installs, the run artifacts, model
versions and dataset versions it belongs to.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from loopml._utils.hashing import sha256_bytes
from loopml._utils.secrets import redact
from loopml.errors import ArtifactNotFound, BlobCorrupted, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.store.blob_backends import BlobBackend

#: what a local file looked like when it was hashed: inode, size, mtime_ns, ctime_ns
FileStamp: TypeAlias = tuple[int, int, int, int]

_CHUNK = 1 << 20
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class BlobRef:
    """A stored blob: its sha256 digest, size in bytes and media type."""

    digest: str
    size: int
    media_type: str = OCTET_STREAM


class BlobStore:
    """Content-addressed storage over a :class:`BlobBackend`.

    Args:
        backend: where the bytes go (local folder, memory, S3...).
        cache_dir: local folder for copies of remote blobs handed out as files.

    Example:
        >>> from loopml.store.blob_backends import open_backend
        >>> store = BlobStore(open_backend("memory://doc-example"))
        >>> ref = store.put_bytes(b"hello")
        >>> store.get_bytes(ref.digest)
        b'hello'
    """

    def __init__(self, backend: BlobBackend, cache_dir: Path | None = None) -> None:
        self.backend = backend
        self.cache_dir = cache_dir
        self._verified: dict[str, FileStamp] = {}
        self._lock = threading.Lock()
        #: digest -> descriptions of what holds it ("run 3f2a (artifact model/model.pkl)")
        self.owners: Callable[[str], list[str]] | None = None

    def __repr__(self) -> str:
        return f"BlobStore({redact(repr(self.backend))})"

    @staticmethod
    def key(digest: str) -> str:
        """Return the backend key of ``digest``."""
        if not _DIGEST.match(digest):
            raise InvalidInput(f"{digest!r} is not a sha256 digest (64 lowercase hex characters)")
        return f"blobs/sha256/{digest[:2]}/{digest[2:]}"

    def put_bytes(self, data: bytes, media_type: str = OCTET_STREAM) -> BlobRef:
        """Store ``data`` unless a blob with the same content exists; return its reference."""
        digest = sha256_bytes(data)
        key = self.key(digest)
        if not self.backend.exists(key):
            self.backend.put_bytes(key, data)
        return BlobRef(digest, len(data), media_type)

    def put_file(self, path: str | os.PathLike[str], media_type: str = OCTET_STREAM) -> BlobRef:
        """Store the file at ``path`` (streamed, never read whole into memory)."""
        source = Path(path)
        if not source.is_file():
            raise InvalidInput(f"{source} is not a file; pass the path of an existing file")
        digest, size = _hash_file(source)
        key = self.key(digest)
        if not self.backend.exists(key):
            self.backend.put_file(key, source)
        return BlobRef(digest, size, media_type)

    def exists(self, digest: str) -> bool:
        """Whether a blob with ``digest`` is stored."""
        return self.backend.exists(self.key(digest))

    def get_bytes(self, digest: str) -> bytes:
        """Return the content of ``digest`` after checking it still hashes to ``digest``.

        Raises:
            ArtifactNotFound: no such blob.
            BlobCorrupted: the stored bytes no longer match the digest.
        """
        data = self.backend.get_bytes(self.key(digest))
        actual = sha256_bytes(data)
        if actual != digest:
            raise self._corrupted(digest, actual)
        return data

    def verify(self, digest: str) -> None:
        """Check the stored content of ``digest`` (streamed); raise if missing or corrupted."""
        hasher = hashlib.sha256()
        with self.backend.open(self.key(digest)) as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                hasher.update(chunk)
        if hasher.hexdigest() != digest:
            raise self._corrupted(digest, hasher.hexdigest())

    def local_file(self, digest: str) -> Path:
        """Return a verified local file holding ``digest`` (no copy for local backends).

        A local blob is hashed again unless it is the same file, unchanged, as when it was
        last hashed (inode, size, mtime and ctime); a remote blob is downloaded once into
        ``cache_dir`` and verified there the same way.
        """
        path = self.backend.local_path(self.key(digest))
        if path is not None:
            if not path.is_file():
                raise ArtifactNotFound(f"no blob {digest} in {redact(self.backend.url)}")
            self._verify_local(digest, path)
            return path
        return self._cached_copy(digest)

    def get_file(self, digest: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the verified content of ``digest`` to ``dest`` and return ``dest``."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.local_file(digest), target)
        return target

    def delete(self, digest: str) -> None:
        """Delete a blob (used only by garbage collection; blobs are otherwise immutable)."""
        self.backend.delete(self.key(digest))
        with self._lock:
            self._verified.pop(digest, None)

    def _verify_local(self, digest: str, path: Path) -> None:
        stamp = file_stamp(path)
        if self._verified.get(digest) == stamp:
            return
        actual, _ = _hash_file(path)
        if actual != digest:
            with self._lock:
                self._verified.pop(digest, None)
            raise self._corrupted(digest, actual)
        with self._lock:
            self._verified[digest] = stamp

    def _cached_copy(self, digest: str) -> Path:
        if self.cache_dir is None:
            self.cache_dir = Path(tempfile.gettempdir()) / "loopml-blob-cache"
        target = self.cache_dir / digest[:2] / digest[2:]
        if target.is_file():
            self._verify_local(digest, target)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        hasher = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out, self.backend.open(self.key(digest)) as src:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    hasher.update(chunk)
                    out.write(chunk)
            if hasher.hexdigest() != digest:
                raise self._corrupted(digest, hasher.hexdigest())
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target

    def _corrupted(self, digest: str, actual: str) -> BlobCorrupted:
        held_by = _describe_owners(self.owners, digest)
        return BlobCorrupted(
            f"blob {digest} in {redact(self.backend.url)}{held_by} is corrupted: its content "
            f"hashes to {actual}. Restore it from a backup or log the artifact again; loopml will "
            "not return it."
        )


def file_stamp(path: Path) -> FileStamp:
    """Return what identifies an unchanged file: inode, size, mtime_ns and ctime_ns."""
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _describe_owners(owners: Callable[[str], list[str]] | None, digest: str) -> str:
    if owners is None:
        return ""
    try:
        found = owners(digest)
    except Exception:  # naming the owners must never hide the corruption itself
        return ""
    return f" (held by {', '.join(found)})" if found else " (referenced by nothing)"


def _hash_file(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size
