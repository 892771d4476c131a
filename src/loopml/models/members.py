"""Which names a model package may hold: relative paths that stay inside the package.

A manifest is data from outside the process (an exported folder, a blob store someone
else can write to), so every name in it is checked before a file is written or read
under it: no absolute paths, no ``..``, no ``.``, no backslashes, no NUL bytes, and no
symbolic links on disk.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from loopml.models.errors import PackageCorrupted

if TYPE_CHECKING:
    from collections.abc import Mapping


def is_safe_member(name: object) -> bool:
    """Whether ``name`` is a relative POSIX path that stays inside its package."""
    if not isinstance(name, str) or not name or "\x00" in name or "\\" in name:
        return False
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    parts = name.split("/")
    return all(part not in {"", ".", ".."} for part in parts)


def check_member(name: object, package: str) -> str:
    """Return ``name`` if it is a safe package member; raise :class:`PackageCorrupted`."""
    if not is_safe_member(name):
        raise PackageCorrupted(
            f"package {package} names the file {name!r}, which is not a relative path inside "
            "the package (absolute, '..', '.', a backslash or a NUL byte); loopml refuses to "
            "read or write it. Rebuild the package with run.log_model(...)."
        )
    return str(name)


def check_manifest_members(manifest: Mapping[str, Any], package: str) -> None:
    """Check every path a manifest names: its files, bundled artifacts and code folders."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise PackageCorrupted(f"package {package} has no 'files' table in its manifest")
    for name in files:
        check_member(name, package)
    for relative in (manifest.get("artifacts") or {}).values():
        check_member(relative, package)
    for relative in manifest.get("code") or []:
        check_member(relative, package)


def inside(root: Path, name: str) -> Path:
    """Return ``root / name`` after checking that it resolves inside ``root`` (no symlinks)."""
    base = root.resolve()
    target = base.joinpath(*PurePosixPath(name).parts)
    if target.resolve() != target or base not in target.resolve().parents:
        raise PackageCorrupted(
            f"{name!r} would be written outside {root} (through '..' or a symbolic link); "
            "export into an empty folder"
        )
    return target


def refuse_links(folder: Path, package: str) -> None:
    """Raise if any entry under ``folder`` is a symbolic link."""
    for path in folder.rglob("*"):
        if path.is_symlink():
            raise PackageCorrupted(
                f"package {package} holds a symbolic link {path.relative_to(folder).as_posix()}; "
                "a package may hold only regular files. Copy the file into the package instead."
            )
