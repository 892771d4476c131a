"""Bring an exported package folder (``loopml models export``) back into a store.

Nothing in the folder is trusted: every name must stay inside the folder, no entry may
be a symbolic link, and every file must hash to the digest its manifest records, all
checked before a single blob is stored. Nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopml._utils.hashing import sha256_bytes
from loopml.errors import InvalidInput
from loopml.models import packages as pk
from loopml.models.errors import PackageCorrupted
from loopml.models.members import check_manifest_members, inside, refuse_links
from loopml.models.signatures import Signature

if TYPE_CHECKING:
    import os

    from loopml.store import Store


def import_package(store: Store, folder: str | os.PathLike[str]) -> pk.ModelPackage:
    """Store the package in ``folder`` after checking its paths and digests.

    Raises:
        InvalidInput: ``folder`` is not a folder holding a loopml model manifest.
        PackageCorrupted: a path escapes the folder, an entry is a symbolic link, or a
            file does not match the digest its manifest records.
    """
    root = Path(folder)
    manifest_path = root / pk.MANIFEST
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise InvalidInput(
            f"{root} holds no {pk.MANIFEST}; pass a folder written by `loopml models export`"
        )
    raw = manifest_path.read_bytes()
    digest = sha256_bytes(raw)
    manifest = _parse(raw, root)
    refuse_links(root, str(root))
    check_manifest_members(manifest, str(root))
    files = [_checked_file(root, name, entry) for name, entry in manifest["files"].items()]
    for path in files:
        store.put_blob_file(path)
    store.put_blob(raw, "application/json")
    signature = Signature.from_dict(manifest["signature"]) if manifest.get("signature") else None
    return pk.ModelPackage(digest, str(manifest.get("flavor")), signature, None, None, manifest)


def _parse(raw: bytes, root: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PackageCorrupted(f"{root / pk.MANIFEST} is not valid JSON: {err}") from err
    if not isinstance(manifest, dict) or manifest.get("format") != pk.FORMAT:
        raise PackageCorrupted(f"{root / pk.MANIFEST} is not a loopml model package manifest")
    return manifest


def _checked_file(root: Path, name: str, entry: object) -> Path:
    path = inside(root, name)
    expected = entry.get("digest") if isinstance(entry, dict) else None
    if not path.is_file():
        raise PackageCorrupted(f"the manifest in {root} lists {name!r}, which is missing")
    actual = sha256_bytes(path.read_bytes())
    if actual != expected:
        raise PackageCorrupted(
            f"{root / name} hashes to {actual} but the manifest records {expected}; the folder "
            "was changed after export. Export the model again."
        )
    return path
