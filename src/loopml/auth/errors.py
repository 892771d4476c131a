"""Auth errors; each carries the HTTP status the server answers with."""

from __future__ import annotations

from loopml.errors import AlreadyExists, InvalidInput, LoopmlError, NotFound


class Unauthenticated(LoopmlError):
    """No valid credentials: log in, or send ``Authorization: Bearer <token>``."""

    http_status = 401


class Forbidden(LoopmlError):
    """The credentials are valid but their roles do not grant the permission."""

    http_status = 403


class UserNotFound(NotFound):
    """No user with the given name."""


class RoleNotFound(NotFound):
    """No role with the given name."""


class TokenNotFound(NotFound):
    """No token with the given id."""


class UserExists(AlreadyExists):
    """A user with the same name exists."""


class InvalidCredentials(InvalidInput):
    """A user name, password or role list is malformed."""
