"""The model registry of a loopml server: the registry methods of ``loopml.models.Models``.

Registering, aliases (promotions), history, tags and descriptions go over REST. Loading a
model fetches its package blobs once into a local cache (verified against their digests)
and loads them with the same loader as a local registry.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from loopml.models.api import Resolved
from loopml.models.entities import ModelAlias
from loopml.models.errors import PackageNotFound
from loopml.models.loaded import LoadedModel
from loopml.models.loading import PackageLoader
from loopml.models.packages import MANIFEST, ModelPackage
from loopml.models.uris import parse_uri
from loopml.remote import wire
from loopml.remote.blobs import HttpBlobFiles

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.models.entities import AliasChange, ModelVersion, RegisteredModel
    from loopml.remote.transport import HttpTransport


class RemoteModels:
    """The model registry of a server.

    Args:
        transport: the connection to the server.
    """

    def __init__(self, transport: HttpTransport, cache_dir: Path | None = None) -> None:
        self.transport = transport
        root = cache_dir or Path(tempfile.gettempdir()) / "loopml-remote-cache"
        self.loader = PackageLoader(HttpBlobFiles(transport, root / "blobs"), root / "models")

    def __repr__(self) -> str:
        return f"RemoteModels({self.transport.base_url!r})"

    def _path(self, name: str, *rest: str | int) -> str:
        parts = [quote(str(p), safe="") for p in (name, *rest)]
        return "/api/v1/models/" + "/".join(parts)

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

        ``by`` is ignored remotely: the server records who is calling.
        """
        source = ref if isinstance(ref, str) else ref.uri
        body = {
            "source": source,
            "description": description,
            "tags": {k: str(v) for k, v in (tags or {}).items()},
        }
        return wire.model_version(
            self.transport.call("POST", self._path(name, "versions"), json=body)
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its aliases, tags and version count."""
        return wire.registered_model(self.transport.call("GET", self._path(name)))

    def list_models(self, name_contains: str | None = None) -> list[RegisteredModel]:
        """Return every registered model, by name."""
        params = {} if name_contains is None else {"name_contains": name_contains}
        found = self.transport.call("GET", "/api/v1/models", params=params)
        return [wire.registered_model(m) for m in found]

    def list_model_versions(self, name: str) -> list[ModelVersion]:
        """Return every version of ``name``, newest first."""
        found = self.transport.call("GET", self._path(name, "versions"))
        return [wire.model_version(v) for v in found]

    def get_model_version(self, name: str, version_or_alias: int | str = "latest") -> ModelVersion:
        """Return a version by number, by alias, or the newest (``"latest"``)."""
        answer = self.transport.call("GET", self._path(name, "versions", version_or_alias))
        return wire.model_version(answer)

    def resolve_alias(self, name: str, alias: str) -> int:
        """Return the version ``alias`` points at."""
        return self.get_alias(name, alias).version

    def get_alias(self, name: str, alias: str) -> ModelAlias:
        """Return where ``alias`` points (version and digest)."""
        version = wire.model_version(self.transport.call("GET", self._path(name, "aliases", alias)))
        return ModelAlias(name, alias, version.version, version.digest, version.created_at, "")

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        *,
        reason: str | None = None,
        by: str | None = None,
    ) -> AliasChange | None:
        """Point ``alias`` at ``version``; returns the history entry (``None`` if unchanged)."""
        body = {"version": version, "reason": reason}
        answer = self.transport.call("PUT", self._path(name, "aliases", alias), json=body)
        return None if answer is None else wire.alias_change(answer)

    def delete_alias(
        self, name: str, alias: str, *, reason: str | None = None, by: str | None = None
    ) -> AliasChange:
        """Remove ``alias``; the change is kept in the alias history."""
        params = {} if reason is None else {"reason": reason}
        answer = self.transport.call("DELETE", self._path(name, "aliases", alias), params=params)
        return wire.alias_change(answer)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasChange]:
        """Return every alias change of ``name`` (or of one alias), oldest first."""
        params = {} if alias is None else {"alias": alias}
        found = self.transport.call("GET", self._path(name, "history"), params=params)
        return [wire.alias_change(c) for c in found]

    def update_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set the description of a registered model."""
        answer = self.transport.call("PATCH", self._path(name), json={"description": description})
        return wire.registered_model(answer)

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        """Set the description of one version."""
        answer = self.transport.call(
            "PATCH", self._path(name, "versions", version), json={"description": description}
        )
        return wire.model_version(answer)

    def set_model_tags(
        self, name: str, tags: Mapping[str, object], version: int | str | None = None
    ) -> None:
        """Set tags on a registered model, or on one version of it."""
        body = {"tags": {k: str(v) for k, v in tags.items()}}
        path = (
            self._path(name, "tags")
            if version is None
            else self._path(name, "versions", version, "tags")
        )
        self.transport.call("PUT", path, json=body)

    def delete_model_tag(self, name: str, key: str, version: int | str | None = None) -> None:
        """Delete a tag of a registered model or of one version."""
        path = (
            self._path(name, "tags", key) if version is None
            else self._path(name, "versions", version, "tags", key)
        )  # fmt: skip
        self.transport.call("DELETE", path)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version no alias points at (its number is not reused)."""
        self.transport.call("DELETE", self._path(name, "versions", version))

    def resolve(self, uri: str | ModelPackage | ModelVersion) -> Resolved:
        """Return the package digest (and version) a URI or reference points at."""
        if isinstance(uri, ModelPackage):
            return Resolved(uri.digest, uri.uri, run_id=uri.run_id)
        if not isinstance(uri, str):
            return Resolved(uri.digest, uri.uri, uri.name, uri.version, uri.run_id)
        parsed = parse_uri(uri)
        if parsed.kind == "package":
            return Resolved(str(parsed.digest), uri)
        if parsed.kind == "run":
            path = f"{str(parsed.path).strip('/')}/{MANIFEST}"
            answer = self.transport.call(
                "GET", f"/api/v1/runs/{parsed.run_id}/artifacts", params={"prefix": path}
            )
            match = [a for a in answer if a["path"] == path]
            if not match:
                raise PackageNotFound(
                    f"run {parsed.run_id} has no model package at {parsed.path!r}"
                )
            return Resolved(str(match[0]["digest"]), uri, run_id=parsed.run_id)
        ref: int | str = parsed.alias or (
            parsed.version if parsed.version is not None else "latest"
        )
        version = self.get_model_version(str(parsed.name), ref)
        return Resolved(version.digest, uri, version.name, version.version, version.run_id)

    def load_model(
        self, uri: str | ModelPackage | ModelVersion, *, cache: bool = True
    ) -> LoadedModel:
        """Load a model from ``models:/name@alias``, ``models:/name/N``, ``runs:/id/path``...

        The package files are fetched from the server once (verified against their
        digests) and kept in a local cache; the model is loaded as a local one is.
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

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"{name!r} is not available through a remote tracking server; the registry "
            "(register, versions, aliases, history, tags) and load_model are"
        )
