"""Errors of the model server and batch scoring (each maps to an HTTP status).

Hierarchy (under :mod:`loopml.errors`)::

    InvalidInput (422)
    ├── RequestInvalid (422)      a field, type or shape does not match the signature
    │   ├── InputRejected (422)   the model refused validated values (NaN, unseen category)
    │   └── UnsupportedMediaType (415)  the Content-Type is not one the route accepts
    ├── MalformedRequest (400)    the body is not JSON, or not one of the accepted shapes
    └── PayloadTooLarge (413)     the body is over the configured limit
    NotFound (404)
    └── ModelNotServed            the request names a model or version this server does not serve
    LoopmlError (500)
    ├── MethodNotAllowed (405)    the path exists, not for this method
    ├── PredictionFailed          the model raised on validated input
    └── WarmUpFailed              a new version failed on its example rows (swap refused)
"""

from __future__ import annotations

from loopml.errors import InvalidInput, LoopmlError, NotFound


class RequestInvalid(InvalidInput):
    """The request does not match the model's signature; ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """Return the JSON error body, with the offending field when known."""
        body = super().to_dict()
        if self.field is not None:
            body["field"] = self.field
        return body


class MalformedRequest(InvalidInput):
    """The body is not valid JSON or not one of the accepted request shapes."""

    http_status = 400


class PayloadTooLarge(InvalidInput):
    """The request body is larger than the server's limit."""

    http_status = 413


class ModelNotServed(NotFound):
    """The request names a model or version that this server does not serve."""


class PredictionFailed(LoopmlError):
    """The model raised while scoring input that passed validation."""


class UnsupportedMediaType(RequestInvalid):
    """The request's Content-Type is not one the route accepts."""

    http_status = 415


class MethodNotAllowed(LoopmlError):
    """The path exists but not for this HTTP method; ``allowed`` lists the methods."""

    http_status = 405

    def __init__(self, message: str, *, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allowed = allowed


class InputRejected(RequestInvalid):
    """The model refused values that passed the signature check (NaN, unseen categories)."""


class WarmUpFailed(LoopmlError):
    """A version failed to predict on its example rows; it never answers a request."""
