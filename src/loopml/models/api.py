"""``Models``: the model registry and loader of one store (``client.models``)."""

from __future__ import annotations

import getpass
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml._utils.digits import is_digits
from loopml.errors import InvalidInput, RunNotFound
from loopml.models import importing, queries as q, registry as reg, writer
from loopml.models.entities import ModelVersion
from loopml.models.errors import PackageNotFound
from loopml.models.loaded import LoadedModel
from loopml.models.loading import PackageLoader
from loopml.models.packages import MANIFEST, ModelPackage
from loopml.models.signatures import Signature
from loopml.models.uris import ModelUri, parse_uri
from loopml.store.tables import tracking as t

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.models.entities import AliasChange, ModelAlias, RegisteredModel
    from loopml.store import Store
    from loopml.tracking import Run


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a model URI points at: a package digest and, for registry URIs, the version."""

    digest: str
    uri: str
    name: str | None = None
    version: int | None = None
    run_id: str | None = None


class Models:
    """Model packages, the registry (versions, aliases, history) and loading.

    Args:
        store: the store holding the registry and the packages.
        cache_size: how many loaded packages to keep in memory.

    Example:
        >>> models = lm.get_client().models  # doctest: +SKIP
        >>> models.load_model("models:/churn@champion").predict(rows)  # doctest: +SKIP
    """

    def __init__(self, store: Store, cache_size: int = 16) -> None:
        self.store = store
        root = store.home / "cache" / "models" if store.home else _temp_cache()
        self.loader = PackageLoader(store.blobs, root, cache_size)

    def __repr__(self) -> str:
        return f"Models({self.store!r})"

    # ------------------------------------------------------------------ packages
    def log_model(
        self, run: Run, model: object, name: str = "model", **options: Any
    ) -> ModelPackage:
        """Package ``model`` as artifacts of ``run`` (options: see ``writer.build_package``)."""
        return writer.log_model(run, model, name, **options)

    def save_package(self, model: object, **options: Any) -> ModelPackage:
        """Store a model package without a run; ``register_model`` accepts the result."""
        return writer.save_package(self.store, model, **options)

    def get_manifest(self, uri: str | ModelPackage | ModelVersion) -> dict[str, Any]:
        """Return the manifest of the package a URI points at."""
        return self.loader.manifest(self.resolve(uri).digest)

    def export_model(
        self, uri: str | ModelPackage | ModelVersion, dest: str | os.PathLike[str]
    ) -> Path:
        """Copy a package's files (and manifest) into the folder ``dest``; return it."""
        resolved = self.resolve(uri)
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
        manifest = self.loader.manifest(resolved.digest)
        self.loader.files(resolved.digest, manifest).export(target)
        return target

    def import_package(self, folder: str | os.PathLike[str]) -> ModelPackage:
        """Store an exported package folder (paths and digests checked; nothing unpickled).

        ``register_model`` accepts the result. Raises ``PackageCorrupted`` when a path
        escapes the folder, an entry is a symbolic link or a file does not match its digest.
        """
        return importing.import_package(self.store, folder)

    # ------------------------------------------------------------------ resolving and loading
    def resolve(self, uri: str | ModelPackage | ModelVersion) -> Resolved:
        """Return the package digest (and version) a URI or reference points at.

        Raises:
            InvalidModelUri: the URI cannot be parsed.
            ModelNotFound, ModelVersionNotFound, AliasNotFound, PackageNotFound, RunNotFound.
        """
        if isinstance(uri, ModelPackage):
            return Resolved(uri.digest, uri.uri, run_id=uri.run_id)
        if isinstance(uri, ModelVersion):
            return Resolved(uri.digest, uri.uri, uri.name, uri.version, uri.run_id)
        if not isinstance(uri, str):
            raise InvalidInput(
                f"expected a model URI or a logged package, got {type(uri).__name__}"
            )
        parsed = parse_uri(uri)
        if parsed.kind == "package":
            return Resolved(str(parsed.digest), uri)
        if parsed.kind == "run":
            return self._resolve_run(parsed, uri)
        db = self.store.db
        with db.read() as conn:
            name = str(parsed.name)
            if parsed.kind == "alias":
                row = q.resolve_alias(conn, db, name, str(parsed.alias))
            else:
                row = q.version_row(conn, db, name, parsed.version)
        return Resolved(row.digest, uri, row.name, row.version, row.run_id)

    def resolve_alias(self, name: str, alias: str) -> int:
        """Return the version ``alias`` points at (one indexed query; for polling)."""
        return self.get_alias(name, alias).version

    def get_alias(self, name: str, alias: str) -> ModelAlias:
        """Return where ``alias`` points: version, digest, when and by whom (one query).

        Raises:
            ModelNotFound: no such model.
            AliasNotFound: the model has no such alias (the message lists its aliases).
        """
        db = self.store.db
        with db.read() as conn:
            return q.get_alias(conn, db, name, alias)

    def load_model(
        self, uri: str | ModelPackage | ModelVersion, *, cache: bool = True
    ) -> LoadedModel:
        """Load a model from ``models:/name@alias``, ``models:/name/N``, ``runs:/id/path``...

        The package is read from its verified local blob files (nothing is copied) and
        kept in memory by digest, so loading the same content again is instant while a
        moved alias loads the new version.

        Args:
            uri: a model URI, a :class:`ModelPackage` or a :class:`ModelVersion`.
            cache: reuse (and keep) the loaded model in this process.

        Raises:
            ModelNotFound, ModelVersionNotFound, AliasNotFound, PackageNotFound: nothing there.
            BlobCorrupted: a package file no longer matches its digest.
            MissingDependency: the flavor's extra is not installed.
            SignatureMismatch: the model does not accept its recorded signature.
        """
        resolved = self.resolve(uri)
        loaded = self.loader.load(resolved.digest, cache=cache)
        return LoadedModel(
            flavor=loaded.flavor,
            native=loaded.native,
            manifest=loaded.manifest,
            signature=loaded.signature,
            digest=loaded.digest,
            uri=resolved.uri,
            name=resolved.name,
            version=resolved.version,
            run_id=resolved.run_id,
        )

    def clear_cache(self) -> None:
        """Forget every model loaded in this process."""
        self.loader.clear()

    def _resolve_run(self, parsed: ModelUri, uri: str) -> Resolved:
        a = t.run_artifacts
        run_id, path = str(parsed.run_id), str(parsed.path)
        with self.store.db.read() as conn:
            digest = conn.execute(
                select(a.c.digest).where(a.c.run_id == run_id, a.c.path == f"{path}/{MANIFEST}")
            ).scalar_one_or_none()
            if digest is not None:
                return Resolved(digest, uri, run_id=run_id)
            if conn.execute(select(t.runs.c.id).where(t.runs.c.id == run_id)).first() is None:
                raise RunNotFound(f"no run {run_id!r}; use the full 32-character run id")
            found = [
                p[: -len(MANIFEST) - 1]
                for p in conn.execute(
                    select(a.c.path).where(a.c.run_id == run_id, a.c.path.endswith(MANIFEST))
                ).scalars()
            ]
        raise PackageNotFound(
            f"run {run_id} has no model package at {path!r}; its model packages: "
            f"{found or 'none'}. Log one with run.log_model(model, {path!r})."
        )

    # ------------------------------------------------------------------ registry
    def register_model(
        self,
        ref: str | ModelPackage | ModelVersion,
        name: str,
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        *,
        by: str | None = None,
    ) -> ModelVersion:
        """Register the package ``ref`` points at as the next version of ``name``.

        Args:
            ref: what ``log_model`` returned, ``runs:/<id>/model``, ``models:/other/2``...
            name: the registered model (created on first registration).
            description: description of the new version.
            tags: tags of the new version.
            by: who registers it (default: ``LOOPML_USER`` or the login name).

        Returns:
            The new :class:`ModelVersion`; lineage links it to its run and package.
        """
        resolved = self.resolve(ref)
        manifest = self.loader.manifest(resolved.digest)
        signature = (
            Signature.from_dict(manifest["signature"]) if manifest.get("signature") else None
        )
        new = reg.NewVersion(
            resolved.digest, str(manifest["flavor"]), signature, resolved.run_id, resolved.uri
        )
        return reg.register(
            self.store, name, new, by=by or current_user(), description=description, tags=tags
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its aliases, tags and version count."""
        with self.store.db.read() as conn:
            return q.get_model(conn, self.store.db, name)

    def list_models(self, name_contains: str | None = None) -> list[RegisteredModel]:
        """Return every registered model, by name."""
        with self.store.db.read() as conn:
            return q.list_models(conn, name_contains)

    def list_model_versions(self, name: str) -> list[ModelVersion]:
        """Return every version of ``name``, newest first."""
        with self.store.db.read() as conn:
            return q.list_versions(conn, self.store.db, name)

    def get_model_version(self, name: str, version_or_alias: int | str = "latest") -> ModelVersion:
        """Return a version by number, by alias, or the newest (``"latest"``)."""
        db = self.store.db
        with db.read() as conn:
            if isinstance(version_or_alias, int) or is_digits(str(version_or_alias)):
                row = q.version_row(conn, db, name, int(version_or_alias))
            elif version_or_alias == "latest":
                row = q.version_row(conn, db, name, None)
            else:
                row = q.resolve_alias(conn, db, name, str(version_or_alias))
            return q.to_version(conn, row)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        *,
        reason: str | None = None,
        by: str | None = None,
        force: bool = False,
    ) -> AliasChange | None:
        """Point ``alias`` at ``version`` (set or move); returns the history entry.

        Returns ``None`` when the alias already pointed there (nothing is recorded).
        Moving an alias to a version whose input signature differs from the current
        one is refused (``SignatureChanged``, 409) unless ``force=True``: servers that
        follow the alias keep the old version until they are restarted.
        """
        number = self._version_number(name, version)
        return reg.set_alias(
            self.store, name, alias, number, by=by or current_user(), reason=reason, force=force
        )

    def delete_alias(
        self, name: str, alias: str, *, reason: str | None = None, by: str | None = None
    ) -> AliasChange:
        """Remove ``alias``; the change is kept in the alias history."""
        return reg.delete_alias(self.store, name, alias, by=by or current_user(), reason=reason)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasChange]:
        """Return every alias change of ``name`` (or of one alias), oldest first."""
        with self.store.db.read() as conn:
            return q.history(conn, self.store.db, name, alias)

    def update_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set the description of a registered model."""
        reg.update_description(self.store, name, None, description)
        return self.get_registered_model(name)

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Set the description of one version."""
        number = self._version_number(name, version)
        reg.update_description(self.store, name, number, description)
        return self.get_model_version(name, number)

    def set_model_tags(
        self, name: str, tags: Mapping[str, object], version: int | str | None = None
    ) -> None:
        """Set tags on a registered model, or on one version of it."""
        number = None if version is None else self._version_number(name, version)
        reg.set_tags(self.store, name, number, tags)

    def delete_model_tag(self, name: str, key: str, version: int | str | None = None) -> None:
        """Delete a tag of a registered model or of one version."""
        number = None if version is None else self._version_number(name, version)
        reg.delete_tag(self.store, name, number, key)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version no alias points at (its number is not reused)."""
        reg.delete_version(self.store, name, self._version_number(name, version))

    def _version_number(self, name: str, version: int | str) -> int:
        if isinstance(version, int) and not isinstance(version, bool):
            return version
        text = str(version)
        if is_digits(text):
            return int(text)
        return self.get_model_version(name, text).version


def current_user() -> str:
    """Return ``LOOPML_USER``, or the login name, for the ``by`` of registry changes."""
    name = os.environ.get("LOOPML_USER")
    if name:
        return name[:256]
    try:
        return getpass.getuser()[:256]
    except (KeyError, OSError):
        return "unknown"


def _temp_cache() -> Path:
    return Path(tempfile.gettempdir()) / "loopml-model-cache"


#: The model registry API (another name for :class:`Models`).
ModelRegistry = Models
