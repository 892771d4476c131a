"""Blobs on the local file system; writes go to a temporary file and are renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from loopml.errors import ArtifactNotFound, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO


class LocalBlobBackend:
    """Store keys as files under a root folder.

    Args:
        url: a folder path or ``file://`` URL; created if missing.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.root = Path(url.removeprefix("file://")).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobBackend({str(self.root)!r})"

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` to a temporary file beside the target, fsync it, then rename."""
        self._write_atomically(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> None:
        """Copy ``path`` to a temporary file beside the target, then rename."""

        def copy(handle: BinaryIO) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, handle, length=1 << 20)

        self._write_atomically(key, copy)

    def _write_atomically(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get_bytes(self, key: str) -> bytes:
        """Return the bytes stored under ``key``."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as err:
            raise ArtifactNotFound(f"no blob at {key!r} under {self.root}") from err

    def open(self, key: str) -> BinaryIO:
        """Open ``key`` for reading."""
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError as err:
            raise ArtifactNotFound(f"no blob at {key!r} under {self.root}") from err

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        """Yield keys under ``prefix`` in sorted order, skipping unfinished temporary files."""
        base = self._path(prefix) if prefix else self.root
        folder = base if prefix.endswith("/") or not prefix else base.parent
        if not folder.is_dir():
            return
        keys = []
        for dirpath, _dirnames, filenames in os.walk(folder):
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def delete(self, key: str) -> None:
        """Delete ``key`` if present."""
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        """Return the file that holds ``key``."""
        return self._path(key)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise InvalidInput(f"blob key {key!r} must be a relative path without '..'")
        return self.root / key
