"""Blobs on any fsspec file system (``memory://``, ``s3://``, ``gs://``, ``az://``...)."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from loopml._registry import missing_dependency
from loopml._utils.secrets import redact
from loopml.errors import ArtifactNotFound, BackendUnavailable, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import BinaryIO

# Object stores write whole objects atomically; everything else gets temp-then-move.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"}
#: S3 client defaults (a slow or absent endpoint fails in seconds, with retries and backoff);
#: ``config_kwargs`` in the storage options replace them (see docs/scaling.md)
S3_CONFIG = {
    "connect_timeout": 5,
    "read_timeout": 60,
    "retries": {"max_attempts": 4, "mode": "standard"},
}


class FsspecBlobBackend:
    """Store keys as objects below ``url`` on an fsspec file system.

    Args:
        url: ``protocol://root/path``.
        **storage_options: passed to ``fsspec.filesystem`` (credentials, endpoint...).
    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        try:
            import fsspec
        except ModuleNotFoundError as err:  # pragma: no cover - fsspec is a core dependency
            raise missing_dependency(err) from err
        self.url = url
        self.protocol = url.partition("://")[0]
        if self.protocol in ("s3", "s3a"):
            storage_options = {"config_kwargs": S3_CONFIG, **storage_options}
        try:
            self.fs = fsspec.filesystem(self.protocol, **storage_options)
        except (ImportError, ValueError) as err:
            raise missing_dependency(
                ModuleNotFoundError(str(err), name=_module_for(self.protocol))
            ) from err
        self.root = str(self.fs._strip_protocol(url)).rstrip("/")
        self._atomic = self.protocol in _ATOMIC_PUT

    def __repr__(self) -> str:
        return f"FsspecBlobBackend({redact(self.url)!r})"

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` (temporary object, then move, where moves are cheap)."""
        with self._reachable():
            target = self._path(key)
            if self._atomic:
                self.fs.pipe_file(target, data)
                return
            tmp = f"{target}.tmp-{uuid.uuid4().hex}"
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, target)

    def put_file(self, key: str, path: Path) -> None:
        """Upload the file at ``path`` under ``key``."""
        with self._reachable():
            target = self._path(key)
            if self._atomic:
                self.fs.put_file(str(path), target)
                return
            tmp = f"{target}.tmp-{uuid.uuid4().hex}"
            self.fs.put_file(str(path), tmp)
            self.fs.mv(tmp, target)

    def get_bytes(self, key: str) -> bytes:
        """Return the bytes under ``key``."""
        with self._reachable():
            try:
                data: bytes = self.fs.cat_file(self._path(key))
            except FileNotFoundError as err:
                raise ArtifactNotFound(f"no blob at {key!r} under {redact(self.url)}") from err
            return data

    def open(self, key: str) -> BinaryIO:
        """Open ``key`` for streaming reads."""
        with self._reachable():
            try:
                handle: BinaryIO = self.fs.open(self._path(key), "rb")
            except FileNotFoundError as err:
                raise ArtifactNotFound(f"no blob at {key!r} under {redact(self.url)}") from err
            return handle

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""
        with self._reachable():
            return bool(self.fs.isfile(self._path(key)))

    def list(self, prefix: str) -> Iterator[str]:
        """Yield keys that start with ``prefix``, sorted."""
        folder = prefix if prefix.endswith("/") or not prefix else prefix.rsplit("/", 1)[0]
        try:
            found = self.fs.find(self._path(folder.rstrip("/")) if folder else self.root or "/")
        except FileNotFoundError:
            return
        skip = len(self.root)
        for full in sorted(found):
            key = str(full)[skip:].lstrip("/")
            if ".tmp-" in key.rsplit("/", 1)[-1]:
                continue
            if key.startswith(prefix):
                yield key

    def delete(self, key: str) -> None:
        """Delete ``key`` if present."""
        with self._reachable():
            path = self._path(key)
            if self.fs.exists(path):
                self.fs.rm_file(path)

    def local_path(self, key: str) -> Path | None:
        """Remote and in-memory stores have no local path."""
        return None

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """Turn network failures (timeouts, refused connections) into a clear error."""
        try:
            yield
        except (FileNotFoundError, ArtifactNotFound, InvalidInput):
            raise
        except Exception as err:
            if not _is_network_error(err):
                raise
            raise BackendUnavailable(
                f"cannot reach the artifact store {self.url}: {type(err).__name__}: {err}. "
                "Check that it is running, and its endpoint and credentials "
                "(LOOPML_ARTIFACTS_OPTIONS or AWS_ENDPOINT_URL)."
            ) from err

    def _path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise InvalidInput(f"blob key {key!r} must be a relative path without '..'")
        if not key:
            return self.root
        return f"{self.root}/{key}" if self.root else key


def _module_for(protocol: str) -> str:
    return {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs"}.get(protocol, "adlfs")


def _is_network_error(err: Exception) -> bool:
    module = type(err).__module__
    if module.startswith(("botocore", "aiohttp", "aiobotocore", "urllib3", "requests")):
        return True
    return isinstance(err, TimeoutError | ConnectionError)
