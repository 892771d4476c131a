"""Helpers the REST routers share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import Request

    from loopml.client import Client


def client_of(request: Request) -> Client:
    """Return the :class:`~loopml.client.Client` the app was created with."""
    client: Client = request.app.state.client
    return client


def version_ref(version: str) -> int | str:
    """A version path segment: a number, ``latest`` or another reference."""
    return int(version) if version.isdigit() else version
