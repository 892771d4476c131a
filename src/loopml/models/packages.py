"""Model packages: a manifest plus the model's files, stored as content-addressed blobs.

A package is a folder::

    loopml-model.json     manifest: flavor, loader, signature, Python and package versions,
                          and the sha256 digest and size of every other file
    model/...             the flavor's files (model.pkl, model.ubj, model.txt...)
    artifacts/<name>/...  files bundled with an lm.PythonModel
    code/...              Python files put on sys.path before loading
    example.json          up to 5 example rows (records)
    requirements.txt      pinned versions of the packages the flavor needs

The digest of the manifest is the package digest: it pins every file, so equal content
gives an equal digest, and a package is loaded straight from its verified blob files.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loopml._utils.hashing import sha256_bytes
from loopml.errors import InvalidInput
from loopml.models.errors import PackageCorrupted
from loopml.models.members import check_manifest_members, inside, refuse_links

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.models.signatures import Signature

logger = logging.getLogger(__name__)

MANIFEST = "loopml-model.json"
FORMAT = "loopml-model"
FORMAT_VERSION = 1
EXAMPLE_ROWS = 5


class BlobFiles(Protocol):
    """Verified local files of content-addressed blobs (met by ``store.blobs``)."""

    def local_file(self, digest: str) -> Path:
        """Return a local file holding ``digest``, checked against the digest."""
        ...

    def get_file(self, digest: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the verified content of ``digest`` to ``dest``."""
        ...


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """A logged model package (what ``run.log_model`` returns).

    Attributes:
        digest: the package digest (sha256 of its manifest).
        flavor: the flavor name.
        signature: the inferred or given signature, if any.
        run_id: the run that logged it (``None`` for packages saved without a run).
        artifact_path: where the package lives among the run's artifacts.
        manifest: the manifest.
    """

    digest: str
    flavor: str
    signature: Signature | None
    run_id: str | None = None
    artifact_path: str | None = None
    manifest: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uri(self) -> str:
        """``runs:/<run id>/<path>`` for logged packages, else ``package:<digest>``."""
        if self.run_id is not None and self.artifact_path is not None:
            return f"runs:/{self.run_id}/{self.artifact_path}"
        return f"package:{self.digest}"


def write_manifest(folder: Path, manifest: dict[str, Any]) -> bytes:
    """Hash every file in ``folder`` into ``manifest['files']``, write and return the manifest.

    Raises:
        PackageCorrupted: the folder holds a symbolic link (a package holds regular files).
    """
    refuse_links(folder, str(folder))
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative == MANIFEST:
            continue
        data = path.read_bytes()
        files[relative] = {"digest": sha256_bytes(data), "size": len(data)}
    manifest["files"] = files
    encoded = json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False).encode()
    (folder / MANIFEST).write_bytes(encoded)
    return encoded


def base_manifest(
    flavor: str, loader: str, model: object, options: Mapping[str, Any], packages: list[str]
) -> dict[str, Any]:
    """Return the manifest fields that describe the model and the environment that saved it."""
    cls = type(model)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "flavor": flavor,
        "loader": loader,
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "options": dict(options),
        "python": platform.python_version(),
        "packages": package_versions(packages),
    }


def package_versions(names: list[str]) -> dict[str, str]:
    """Return installed versions of the named distributions (missing ones are left out)."""
    found = {}
    for name in dict.fromkeys([*names, "loopml"]):
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return found


def requirements(versions: Mapping[str, str]) -> str:
    """Return ``requirements.txt`` text pinning ``versions``."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))


def copy_artifacts(folder: Path, artifacts: Mapping[str, str | os.PathLike[str]]) -> dict[str, str]:
    """Copy bundled files or folders under ``artifacts/<name>``; return name -> relative path."""
    out = {}
    for name, source in artifacts.items():
        if not name or "/" in name or name.startswith("."):
            raise InvalidInput(f"artifact name {name!r} must be a plain name such as 'vocab'")
        src = Path(source)
        target = folder / "artifacts" / name
        if src.is_dir():
            shutil.copytree(src, target, symlinks=True)  # links are refused, not followed
        elif src.is_file():
            target.mkdir(parents=True)
            target = target / src.name
            shutil.copyfile(src, target)
        else:
            raise InvalidInput(f"artifact {name!r}: {src} is neither a file nor a folder")
        out[name] = target.relative_to(folder).as_posix()
    return out


def copy_code(folder: Path, code_paths: list[str | os.PathLike[str]]) -> list[str]:
    """Copy Python files or packages under ``code/``; return their folder (put on sys.path)."""
    if not code_paths:
        return []
    target = folder / "code"
    target.mkdir()
    for source in code_paths:
        src = Path(source)
        if src.is_dir():
            shutil.copytree(
                src, target / src.name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif src.is_file():
            shutil.copyfile(src, target / src.name)
        else:
            raise InvalidInput(f"code path {src} is neither a file nor a folder")
    return ["code"]


def read_manifest(blobs: BlobFiles, digest: str) -> dict[str, Any]:
    """Read and check the manifest of package ``digest`` from its verified blob.

    Raises:
        ArtifactNotFound: no blob with that digest.
        BlobCorrupted: the manifest's bytes no longer match the digest.
        PackageCorrupted: the blob is not a loopml model manifest.
    """
    raw = blobs.local_file(digest).read_bytes()
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PackageCorrupted(
            f"blob {digest} is not a model package manifest (invalid JSON: {err})"
        ) from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageCorrupted(
            f"blob {digest} is not a loopml model package manifest; pass the digest of a "
            f"package's {MANIFEST}"
        )
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise PackageCorrupted(
            f"package {digest} uses manifest format {manifest['format_version']}, newer than "
            f"this loopml understands ({FORMAT_VERSION}); upgrade loopml"
        )
    check_manifest_members(manifest, digest)
    return manifest


class StoredPackage:
    """The files of a stored package, handed out as verified local blob files."""

    def __init__(
        self, blobs: BlobFiles, digest: str, manifest: Mapping[str, Any], cache_root: Path
    ) -> None:
        self.blobs = blobs
        self.digest = digest
        self.manifest = manifest
        self._cache_root = cache_root

    def path(self, name: str) -> Path:
        """Return the verified local blob file of package file ``name`` (``model/...``)."""
        entry = self._entry(name)
        return self.blobs.local_file(str(entry["digest"]))

    def folder(self) -> Path:
        """Return a folder holding every file under its own name (built once per package)."""
        target = self._cache_root / self.digest
        if target.is_dir():
            return target
        self._cache_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self._cache_root, prefix=".tmp-"))
        try:
            self.export(staging)
            os.replace(staging, target)
        except OSError:
            if not target.is_dir():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def export(self, dest: Path) -> None:
        """Copy every package file, and the manifest, into ``dest`` (never outside it)."""
        check_manifest_members(self.manifest, self.digest)
        for name in self.manifest["files"]:
            self.blobs.get_file(str(self._entry(name)["digest"]), inside(dest, name))
        shutil.copyfile(self.blobs.local_file(self.digest), inside(dest, MANIFEST))

    def _entry(self, name: str) -> Mapping[str, Any]:
        files: Mapping[str, Mapping[str, Any]] = self.manifest.get("files", {})
        entry = files.get(f"model/{name}") or files.get(name)
        if entry is None:
            raise PackageCorrupted(
                f"package {self.digest} lists no file {name!r}; it holds {sorted(files)}"
            )
        return entry
