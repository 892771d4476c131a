"""The Jinja2 environment of the web UI and the helpers its templates use."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.templating import Jinja2Templates

from loopml.server.ui.static_files import static_url

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from loopml.auth import Principal

TEMPLATES = Path(__file__).parent / "templates"


@cache
def templates() -> Jinja2Templates:
    """The UI's templates (built on first use, not at import)."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    env = found.env
    env.filters["ms"] = format_ms
    env.filters["ago"] = format_duration
    env.filters["num"] = format_number
    env.filters["tojson_script"] = json_script
    env.globals["nav"] = NAV
    env.globals["static"] = static_url
    return found


NAV: tuple[tuple[str, str, str], ...] = (
    ("experiments", "Experiments", "/ui/experiments"),
    ("runs", "Runs", "/ui/runs"),
    ("models", "Models", "/ui/models"),
    ("pipelines", "Pipelines", "/ui/pipelines"),
    ("features", "Features", "/ui/features"),
    ("deployments", "Deployments", "/ui/deployments"),
    ("monitors", "Monitoring", "/ui/monitors"),
    ("audit", "Audit", "/ui/audit"),
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Principal | None,
    status_code: int = 200,
) -> Response:
    """Render a page with the layout's context (who is logged in, CSRF token, auth state)."""
    authorizer = getattr(request.app.state, "authorizer", None)
    context = {
        "principal": principal,
        "csrf": principal.csrf if principal is not None else None,
        "auth_enabled": authorizer.is_enabled() if authorizer is not None else False,
        **context,
    }
    return templates().TemplateResponse(request, name, context, status_code=status_code)


def format_ms(ms: int | None) -> str:
    """Format epoch milliseconds as ``2026-01-31 12:00:00`` (UTC)."""
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start: int | None, end: int | None = None) -> str:
    """Format the time between two epoch-ms instants (``1m 05s``)."""
    if start is None or end is None:
        return ""
    seconds = max(0, (end - start) // 1000)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def format_number(value: object) -> str:
    """Format a metric value compactly (4 significant digits)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return f"{value:.4g}"


def json_script(value: object) -> Markup:
    """Serialise ``value`` for a ``<script type="application/json">`` block (no ``</``)."""
    text = json.dumps(value, default=str, allow_nan=False).replace("</", "<\\/")
    return Markup(text)
