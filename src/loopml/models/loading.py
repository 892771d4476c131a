"""Load packages straight from verified local blob files, cached by package digest.

A moved alias resolves to another digest, so it loads the new version; the same digest
under several names or URIs is loaded once.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.errors import ArtifactNotFound, LoopmlError, MissingDependency
from loopml.models import packages as pk
from loopml.models.errors import PackageCorrupted, PackageNotFound
from loopml.models.flavors import Flavor, get_flavor
from loopml.models.signatures import Signature

if TYPE_CHECKING:
    from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A loaded package: its manifest, flavor, native model and signature."""

    digest: str
    manifest: dict[str, Any]
    flavor: Flavor
    native: Any
    signature: Signature | None


class PackageLoader:
    """Loads packages of one blob store and keeps the last ``max_entries`` in memory.

    Args:
        blobs: the blob store holding the packages.
        cache_root: folder where packages that need real file names are laid out.
        max_entries: how many loaded packages to keep (least recently used go first).
    """

    def __init__(self, blobs: pk.BlobFiles, cache_root: Path, max_entries: int = 16) -> None:
        self.blobs = blobs
        self.cache_root = cache_root
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def load(self, digest: str, *, cache: bool = True) -> Loaded:
        """Return the loaded package ``digest`` (from memory when cached).

        Raises:
            PackageNotFound: no package with that digest.
            BlobCorrupted: a file of the package no longer matches its digest.
            MissingDependency: the flavor or a module the model needs is not installed.
        """
        if not cache:
            return self._load(digest)
        with self._lock:
            hit = self._entries.get(digest)
            if hit is not None:
                self._entries.move_to_end(digest)
                return hit
            gate = self._loading.setdefault(digest, threading.Lock())
        with gate:  # one thread loads a digest; the others wait for it
            with self._lock:
                hit = self._entries.get(digest)
            if hit is not None:
                return hit
            loaded = self._load(digest)
            with self._lock:
                self._entries[digest] = loaded
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
                self._loading.pop(digest, None)
        return loaded

    def manifest(self, digest: str) -> dict[str, Any]:
        """Return the manifest of package ``digest``."""
        try:
            return pk.read_manifest(self.blobs, digest)
        except ArtifactNotFound as err:
            raise PackageNotFound(
                f"no model package {digest} in {self.blobs!r}; the blob is missing. "
                "Log the model again, or restore the artifact store from a backup."
            ) from err

    def files(self, digest: str, manifest: dict[str, Any]) -> pk.StoredPackage:
        """Return the files of a package."""
        return pk.StoredPackage(self.blobs, digest, manifest, self.cache_root)

    def clear(self) -> None:
        """Forget every loaded package."""
        with self._lock:
            self._entries.clear()

    def _load(self, digest: str) -> Loaded:
        manifest = self.manifest(digest)
        flavor = get_flavor(str(manifest.get("flavor")))
        files = self.files(digest, manifest)
        if manifest.get("code"):
            _add_code_path(files)
        _warn_on_version_drift(flavor, manifest)
        native = _load_native(flavor, files, manifest)
        signature = (
            Signature.from_dict(manifest["signature"]) if manifest.get("signature") else None
        )
        if signature is not None:
            flavor.check(native, signature)
        logger.debug("loaded %s package %s", flavor.name, digest[:12])
        return Loaded(digest, manifest, flavor, native, signature)


def _load_native(flavor: Flavor, files: pk.StoredPackage, manifest: dict[str, Any]) -> Any:
    options = manifest.get("options")
    if not isinstance(options, dict):
        raise PackageCorrupted(f"package {files.digest} has no loader options in its manifest")
    try:
        return flavor.load(files, options)
    except LoopmlError:
        raise
    except ModuleNotFoundError as err:
        missing = _registry.missing_dependency(err)
        if isinstance(missing, MissingDependency):
            raise missing from err
        raise MissingDependency(
            f"the {flavor.name} package {files.digest[:12]} needs the module {err.name!r}, "
            "which is not installed here; install it (see the package's requirements.txt), "
            "or log the model with code_paths=[...] so its code travels with it"
        ) from err


def _add_code_path(files: pk.StoredPackage) -> None:
    code = str(files.folder() / "code")
    if code not in sys.path:
        sys.path.insert(0, code)


def _warn_on_version_drift(flavor: Flavor, manifest: dict[str, Any]) -> None:
    saved: dict[str, str] = manifest.get("packages") or {}
    main = flavor.packages[0] if flavor.packages else None
    if main is None or main not in saved:
        return
    try:
        here = importlib_metadata.version(main)
    except importlib_metadata.PackageNotFoundError:
        return
    if here.split(".")[:2] != saved[main].split(".")[:2]:
        logger.warning(
            "model package was saved with %s %s but %s is installed; predictions may differ",
            main,
            saved[main],
            here,
        )
