"""The platform app (create_app) with its authorizer, as seen from loopback and from afar."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from loopml import auth as auth_api
from loopml.server.app import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

    import loopml as lm

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)


def make_app(client: lm.Client, required: bool | None = None) -> FastAPI:
    """The real platform app (auth and UI installed by create_app)."""
    app = create_app(client)
    app.state.authorizer.required = required
    return app


@pytest.fixture
def platform(sqlite_client: lm.Client) -> FastAPI:
    return make_app(sqlite_client)


@pytest.fixture
def local(platform: FastAPI) -> Iterator[TestClient]:
    with TestClient(platform, client=LOCAL) as http:
        yield http


@pytest.fixture
def remote(platform: FastAPI) -> Iterator[TestClient]:
    with TestClient(platform, client=REMOTE) as http:
        yield http


def token_for(client: lm.Client, role: str) -> str:
    """Create a user holding only ``role`` and return a token for them."""
    name = f"u-{role}"
    with contextlib.suppress(auth_api.UserExists):
        client.auth.add_user(name, roles=[role])
    return client.auth.create_token(name, role).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
