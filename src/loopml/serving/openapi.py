"""The model server's OpenAPI 3.1 document, generated from the route table.

Every operation lists its request body (typed by the signature of the version being
served), its 200 response and each error status with its error model.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from loopml.serving import schemas

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.serving.routes import Endpoint
    from loopml.serving.service import ModelService
    from loopml.serving.validation import Validator

_STATUS = {
    400: "The body is not JSON, or not one of the accepted shapes.",
    404: "The model, version or prediction id is not known here.",
    413: "The body is over the server's limit (--max-body-mb).",
    415: "The Content-Type is not one this route accepts.",
    422: "A field, type or shape does not match the model's signature; 'field' names it.",
}
_PARAMETER_DOC = {
    "name": "the model name (or the deployment name)",
    "version": "a loaded model version number",
}


def document(endpoints: Sequence[Endpoint], service: ModelService) -> dict[str, Any]:
    """Return the OpenAPI document of ``service`` over ``endpoints``."""
    current = service.routes.primary.current
    validator = current.validator if current is not None else None
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, validator
        )
    served = f"{current.name} version {current.version}" if current is not None else "no model yet"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"loopml model server: {service.deployment}",
            "version": service.server_version,
            "description": (
                f"Serving {served}. JSON predictions, the Open Inference Protocol V2, "
                "feedback and metrics. Errors are JSON and name the offending field."
            ),
        },
        "paths": paths,
        "components": {"schemas": {"Error": schemas.ERROR, "V2Error": schemas.V2_ERROR}},
    }


def _operation(endpoint: Endpoint, validator: Validator | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": _operation_id(endpoint),
        "responses": {"200": _ok(endpoint)},
    }
    parameters = [
        {
            "name": segment[1:-1],
            "in": "path",
            "required": True,
            "description": _PARAMETER_DOC.get(segment[1:-1], ""),
            "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
        }
        for segment in endpoint.segments
        if segment.startswith("{")
    ]
    if parameters:
        operation["parameters"] = parameters
    if endpoint.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": endpoint.request(validator)}},
        }
    error = {
        "$ref": "#/components/schemas/V2Error" if endpoint.v2 else "#/components/schemas/Error"
    }
    for status in endpoint.errors:
        not_ready = endpoint.request is None and status == 400
        operation["responses"][str(status)] = {
            "description": "Not ready: a route has no version loaded."
            if not_ready
            else _STATUS[status],
            "content": {"application/json": {"schema": error}},
        }
    return operation


def _ok(endpoint: Endpoint) -> dict[str, Any]:
    if endpoint.response is not None:
        return {
            "description": "OK",
            "content": {endpoint.response_type: {"schema": endpoint.response}},
        }
    if endpoint.response_type != "application/json":
        return {"description": "OK", "content": {endpoint.response_type: {"schema": {}}}}
    return {"description": "OK"}


def _operation_id(endpoint: Endpoint) -> str:
    words = [s.strip("{}") for s in endpoint.segments] or ["info"]
    return "_".join([endpoint.method.lower(), *words]).replace(".", "_")


def docs_page(deployment: str) -> str:
    """Return the Swagger UI page that renders ``/openapi.json``."""
    title = html.escape(f"loopml model server: {deployment}")
    cdn = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
    return f"""<!doctype html>
<html><head><title>{title}</title>
<link rel="stylesheet" href="{cdn}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{cdn}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui"}});</script>
</body></html>
"""
