"""Helpers the REST routers share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils.digits import is_digits
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from fastapi import Request

    from loopml.client import Client

#: the largest integer the databases store (signed 64 bits)
MAX_INT = 2**63 - 1
#: the largest version number (registry versions are 32-bit integers)
MAX_VERSION = 2**31 - 1


def client_of(request: Request) -> Client:
    """Return the :class:`~loopml.client.Client` the app was created with."""
    client: Client = request.app.state.client
    return client


def version_ref(version: str | int) -> int | str:
    """A version reference: a number, ``latest``, an alias or another reference."""
    if isinstance(version, int) or is_digits(version):
        return version_number(version)
    return version


def version_number(version: str | int) -> int:
    """A version number within range, or :class:`InvalidInput`."""
    number = int(version) if isinstance(version, int) or is_digits(version) else -1
    if not 1 <= number <= MAX_VERSION:
        raise InvalidInput(f"version must be a number from 1 to {MAX_VERSION}, got {version!r}")
    return number


def name_or_id(value: str | int) -> str | int:
    """An experiment reference: digits are an id (within range), anything else a name."""
    if isinstance(value, int) or is_digits(value):
        number = int(value)
        if number > MAX_INT:
            raise InvalidInput(f"experiment id {value} is out of range; ids are below 2**63")
        return number
    return value
