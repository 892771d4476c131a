"""Parse model URIs and check registry names (pure).

Accepted forms::

    models:/churn/3          version 3
    models:/churn@champion   the version the alias points at
    models:/churn/latest     the newest version (also models:/churn)
    runs:/<run id>/model     the package a run logged under ``model``
    package:<sha256>         a package by digest
    churn@champion, churn/3  short forms of the models:/ URIs (CLI, server)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopml._utils.digits import is_digits
from loopml.errors import InvalidInput
from loopml.models.errors import InvalidModelUri

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,255}$")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,255}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
LATEST = "latest"
RESERVED_ALIASES = frozenset({LATEST})


@dataclass(frozen=True, slots=True)
class ModelUri:
    """A parsed model URI: exactly one of version, alias, latest, run path or digest."""

    kind: str  # "version" | "alias" | "latest" | "run" | "package"
    name: str | None = None
    version: int | None = None
    alias: str | None = None
    run_id: str | None = None
    path: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        if self.kind == "version":
            return f"models:/{self.name}/{self.version}"
        if self.kind == "alias":
            return f"models:/{self.name}@{self.alias}"
        if self.kind == "latest":
            return f"models:/{self.name}/latest"
        if self.kind == "run":
            return f"runs:/{self.run_id}/{self.path}"
        return f"package:{self.digest}"


def parse_uri(uri: str) -> ModelUri:
    """Parse a model URI (see the module docstring for the forms).

    Raises:
        InvalidModelUri: the text is none of the accepted forms.

    Example:
        >>> parse_uri("models:/churn@champion").alias
        'champion'
    """
    text = str(uri).strip()
    if text.startswith("models:/"):
        return _parse_model(text[len("models:/") :], uri)
    if text.startswith("runs:/"):
        run_id, _, path = text[len("runs:/") :].strip("/").partition("/")
        if not run_id or not path:
            raise _invalid(uri, "a runs:/ URI is runs:/<run id>/<artifact path>")
        return ModelUri("run", run_id=run_id, path=path.strip("/"))
    for prefix in ("package:", "sha256:"):
        if text.startswith(prefix):
            digest = text[len(prefix) :]
            if not _DIGEST.match(digest):
                raise _invalid(uri, "a package digest is 64 lowercase hex characters")
            return ModelUri("package", digest=digest)
    if "://" in text or ":/" in text:
        raise _invalid(uri, "the scheme must be models:/, runs:/ or package:")
    return _parse_model(text, uri)


def _parse_model(rest: str, uri: str) -> ModelUri:
    rest = rest.strip("/")
    if "@" in rest:
        name, _, alias = rest.partition("@")
        return ModelUri("alias", name=check_name(name, uri), alias=check_alias(alias, uri))
    name, _, version = rest.partition("/")
    check_name(name, uri)
    if version in ("", LATEST):
        return ModelUri("latest", name=name)
    if is_digits(version) and int(version) > 0:
        return ModelUri("version", name=name, version=int(version))
    raise _invalid(uri, f"{version!r} is not a version number; use models:/{name}/<N> or @alias")


def check_name(name: str, uri: str | None = None) -> str:
    """Return ``name`` if it is a valid registered model name, else raise."""
    if not _NAME.match(name or ""):
        message = (
            f"model name {name!r} is not valid: use letters, digits, '_', '-' and '.' "
            "(at most 256, starting with a letter, digit or '_')"
        )
        if uri is not None:
            raise _invalid(uri, message)
        raise InvalidInput(message)
    return name


def check_alias(alias: str, uri: str | None = None) -> str:
    """Return ``alias`` if it is a valid alias (not a number, not ``latest``), else raise."""
    if not _ALIAS.match(alias or "") or alias in RESERVED_ALIASES:
        message = (
            f"alias {alias!r} is not valid: start with a letter or '_', use letters, digits, "
            f"'_', '-' and '.'; {sorted(RESERVED_ALIASES)} is reserved"
        )
        if uri is not None:
            raise _invalid(uri, message)
        raise InvalidInput(message)
    return alias


def _invalid(uri: str, why: str) -> InvalidModelUri:
    return InvalidModelUri(
        f"cannot read model URI {uri!r}: {why}. Use models:/<name>/<version>, "
        "models:/<name>@<alias>, runs:/<run id>/<path> or package:<digest>."
    )
