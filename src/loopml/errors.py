"""Errors raised by loopml.

Every error is a :class:`LoopmlError` and carries ``http_status`` so that the REST
server and the model server map errors uniformly without this module importing a
web framework. Messages say what was wrong (with the offending value) and what to do.

Hierarchy::

    LoopmlError (500)
    ├── NotFound (404)
    │   ├── ExperimentNotFound
    │   ├── RunNotFound
    │   └── ArtifactNotFound
    ├── AlreadyExists (409)
    ├── Conflict (409)
    │   ├── ParamConflict
    │   ├── RunNotActive
    │   └── NoActiveRun
    ├── InvalidInput (422)
    │   ├── InvalidFilter
    │   └── ConfigError
    ├── IntegrityError (500)
    │   └── BlobCorrupted
    ├── BackendUnavailable (503)
    ├── UnknownBackend (422)
    └── MissingDependency (500)

Components add their own subclasses in their own modules; they always derive from
one of the classes above so that ``http_status`` stays meaningful.
"""

from __future__ import annotations


class LoopmlError(Exception):
    """Base class of every error raised by loopml."""

    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready description (used by the REST and model servers)."""
        return {"error": type(self).__name__, "message": self.message}


class NotFound(LoopmlError):
    """Something that was asked for does not exist."""

    http_status = 404


class ExperimentNotFound(NotFound):
    """No experiment with the given name or id."""


class RunNotFound(NotFound):
    """No run with the given id."""


class ArtifactNotFound(NotFound):
    """No artifact or blob at the given path or digest."""


class AlreadyExists(LoopmlError):
    """Something with the same identity already exists."""

    http_status = 409


class Conflict(LoopmlError):
    """The request conflicts with the current state."""

    http_status = 409


class ParamConflict(Conflict):
    """A parameter was logged again with a different value."""


class RunNotActive(Conflict):
    """Data was logged to a run that has ended."""


class NoActiveRun(Conflict):
    """A module-level logging call was made with no active run."""


class InvalidInput(LoopmlError):
    """An argument has the wrong type, shape or value."""

    http_status = 422


class InvalidFilter(InvalidInput):
    """A search filter could not be parsed; ``position`` points at the offending token."""

    def __init__(self, message: str, *, text: str = "", position: int = -1) -> None:
        if text and position >= 0:
            # Show at most 60 characters either side of the position (filters can be long).
            start = max(0, position - 60)
            shown = text[start : position + 60].replace("\n", " ").replace("\x00", "?")
            prefix = "..." if start else ""
            caret = " " * (len(prefix) + position - start) + "^"
            message = f"{message}\n  {prefix}{shown}\n  {caret}"
        super().__init__(message)
        self.text = text
        self.position = position


class ConfigError(InvalidInput):
    """A configuration value or file is invalid."""


class IntegrityError(LoopmlError):
    """Stored data failed an integrity check."""

    http_status = 500


class BlobCorrupted(IntegrityError):
    """A blob's content no longer matches its sha256 digest."""


class BackendUnavailable(LoopmlError):
    """A database, object store or service could not be reached."""

    http_status = 503


class UnknownBackend(InvalidInput):
    """A URL names a scheme that no registered backend handles."""


class MissingDependency(LoopmlError):
    """An optional dependency is needed; the message names the extra to install."""

    http_status = 500
