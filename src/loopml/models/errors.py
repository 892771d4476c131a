"""Errors of the model registry and model packages.

::

    NotFound (404)
    ├── ModelNotFound            no registered model by that name
    ├── ModelVersionNotFound     no such version of a registered model
    ├── AliasNotFound            no such alias on a registered model
    └── PackageNotFound          no model package at a run path or digest
    InvalidInput (422)
    ├── SignatureMismatch        data that does not fit a model's signature (names the field)
    └── InvalidModelUri          a model URI that cannot be parsed
    Conflict (409)
    └── SignatureChanged         an alias move to a version with other input columns (unforced)
    IntegrityError (500)
    └── PackageCorrupted         a package manifest that cannot be read
"""

from __future__ import annotations

from loopml.errors import Conflict, IntegrityError, InvalidInput, NotFound


class ModelNotFound(NotFound):
    """No registered model with the given name."""


class ModelVersionNotFound(NotFound):
    """The registered model has no such version."""


class AliasNotFound(NotFound):
    """The registered model has no such alias."""


class PackageNotFound(NotFound):
    """No model package at the given run path or digest."""


class InvalidModelUri(InvalidInput):
    """A model URI that is not ``models:/name/N``, ``models:/name@alias`` or ``runs:/id/path``."""


class SignatureMismatch(InvalidInput):
    """Input data does not match a model's signature; ``field`` names the offending column."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready description that includes the offending field."""
        out = super().to_dict()
        out["field"] = self.field
        return out


class PackageCorrupted(IntegrityError):
    """A model package's manifest is unreadable or does not describe a package."""


class SignatureChanged(Conflict):
    """An alias would move to a version whose input signature differs from the current one."""
