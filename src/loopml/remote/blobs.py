"""Verified local copies of a server's blobs (what the model loader reads packages from)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from loopml.errors import BlobCorrupted

if TYPE_CHECKING:
    import os

    from loopml.remote.transport import HttpTransport


class HttpBlobFiles:
    """Blobs fetched from ``GET /api/v1/blobs/{digest}`` into a local cache folder.

    Args:
        transport: the connection to the server.
        cache_dir: where verified copies are kept (content-addressed, so never stale).
    """

    def __init__(self, transport: HttpTransport, cache_dir: Path) -> None:
        self.transport = transport
        self.cache_dir = cache_dir

    def local_file(self, digest: str) -> Path:
        """Return a local file holding ``digest`` (downloaded once, checked against it)."""
        target = self.cache_dir / digest[:2] / digest
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            part = Path(tmp.name)
        try:
            self.transport.download(f"/api/v1/blobs/{digest}", part)
            actual = _sha256(part)
            if actual != digest:
                raise BlobCorrupted(
                    f"blob {digest} arrived with digest {actual}; the server's copy or the "
                    "transfer is damaged (run `loopml db verify` on the server)"
                )
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return target

    def get_file(self, digest: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the verified content of ``digest`` to ``dest``."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.local_file(digest), target)
        return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
