"""An app with auth, the UI and a few component routes guarded like the server's."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from loopml import auth as auth_api
from loopml.errors import LoopmlError
from loopml.server import auth, ui
from loopml.server.auth.guard import permit

if TYPE_CHECKING:
    from collections.abc import Iterator

    import loopml as lm

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)


def component_router() -> APIRouter:
    """Routes shaped like the platform's: each guarded by one permission."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/runs/{run_id}", dependencies=[Depends(permit("runs:read"))])
    def get_run(run_id: str, request: Request) -> dict[str, str]:
        return {"id": request.app.state.ui_client.runs.get_run(run_id).id}

    @router.delete("/runs/{run_id}", dependencies=[Depends(permit("runs:delete"))])
    def delete_run(run_id: str, request: Request) -> dict[str, str]:
        request.app.state.ui_client.runs.delete_run(run_id)
        return {"deleted": run_id}

    @router.post("/experiments", dependencies=[Depends(permit("experiments:write"))])
    def create_experiment(request: Request) -> dict[str, str]:
        return {"ok": "created"}

    @router.post("/models/{name}/aliases/{alias}", dependencies=[Depends(permit("models:promote"))])
    def set_alias(name: str, alias: str) -> dict[str, str]:
        return {"alias": alias}

    @router.post("/deployments/{name}/deploy", dependencies=[Depends(permit("deployments:deploy"))])
    def deploy(name: str) -> dict[str, str]:
        return {"deployed": name}

    return router


def make_app(client: lm.Client, required: bool | None = None) -> FastAPI:
    app = FastAPI()

    @app.exception_handler(LoopmlError)
    async def _error(request: Request, exc: LoopmlError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    auth.install(app, client, required=required)
    ui.install(app, client)
    app.include_router(component_router())
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
