"""Error responses: every failure is JSON with the error's class, a message and a code.

:class:`~loopml.errors.LoopmlError` carries its own ``http_status``; request validation
errors become 422; the body of an error also carries an MLflow-style ``error_code`` so
that the ``mlflow`` client (which reads it) behaves as it does against its own server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from loopml.errors import LoopmlError
from loopml.server.limits import BodyTooLarge

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

logger = logging.getLogger(__name__)

#: HTTP status -> MLflow error code
_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    405: "BAD_REQUEST",
    409: "RESOURCE_ALREADY_EXISTS",
    413: "REQUEST_LIMIT_EXCEEDED",
    422: "INVALID_PARAMETER_VALUE",
    503: "TEMPORARILY_UNAVAILABLE",
}


class ErrorBody(BaseModel):
    """What every error response holds."""

    error: str = Field(description="error class, e.g. RunNotFound")
    message: str = Field(description="what was wrong and what to do")
    error_code: str = Field(description="MLflow-style code, e.g. RESOURCE_DOES_NOT_EXIST")


def error_code(status: int) -> str:
    """Return the MLflow error code for an HTTP status."""
    return _CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")


def error_response(status: int, error: str, message: str) -> JSONResponse:
    """Return the JSON error response for ``status``."""
    body = {"error": error, "message": message, "error_code": error_code(status)}
    return JSONResponse(body, status_code=status)


#: the ``responses=`` of a route: its error statuses, each with :class:`ErrorBody`
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI ``responses`` documenting ``statuses`` (plus 413 and 422)."""
    wanted = sorted({*statuses, 413, 422})
    return {status: {"model": ErrorBody, "description": _describe(status)} for status in wanted}


def _describe(status: int) -> str:
    return {
        400: "Bad request",
        401: "Not authenticated",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict with the current state",
        413: "Request body over the size limit",
        422: "Invalid input",
        503: "A backend is unavailable",
    }.get(status, "Error")


async def _loopml_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LoopmlError)
    status = exc.http_status
    if status >= 500:
        logger.error("%s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(status, type(exc).__name__, exc.message)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors()[:10]:
        where = ".".join(str(p) for p in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    message = "invalid request: " + "; ".join(problems) + ". See /docs for the expected shape."
    return error_response(422, "InvalidInput", message)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):
        raise exc.__cause__  # the body limit middleware answers 413
    name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}; see /docs for the API"
    response = error_response(exc.status_code, name, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path,
        exc_info=exc,
    )  # fmt: skip
    message = (
        f"the server failed on {request.method} {request.url.path} ({type(exc).__name__}); "
        "this is a bug: the server log has the traceback, please report it"
    )
    return error_response(500, "InternalError", message)


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(LoopmlError, _loopml_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
