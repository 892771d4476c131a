"""The login and logout pages of the web UI (form posts with CSRF protection)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse

from loopml.auth import Forbidden, Unauthenticated
from loopml.server.auth.authorizer import SESSION_COOKIE
from loopml.server.ui.templating import render

if TYPE_CHECKING:
    from starlette.responses import Response

    from loopml.server.auth.authorizer import Authorizer

router = APIRouter(prefix="/ui", include_in_schema=False)
LOGIN_CSRF_COOKIE = "loopml_login_csrf"


def _authorizer(request: Request) -> Authorizer:
    found: Authorizer = request.app.state.authorizer
    return found


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path inside the UI, else the UI's home (no open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/login")
def login_page(request: Request, next: str | None = None, error: str | None = None) -> Response:
    """Show the login form (or say that no login is needed)."""
    authorizer = _authorizer(request)
    token = secrets.token_urlsafe(24)
    context = {
        "next": safe_next(next),
        "login_csrf": token,
        "error": error,
        "auth_enabled": authorizer.is_enabled(),
    }
    response = render(request, "login.html", context, principal=None)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/ui/login"
    )
    return response


@router.post("/login")
def login(
    request: Request,
    user: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/ui/"),
) -> Response:
    """Check the password, start a session and go back to the page asked for."""
    request.state.audit_action = "auth:login"
    request.state.audit_user = user[:256] or "anonymous"
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf):
        raise Forbidden("the login form expired or was not sent by this site; reload it")
    try:
        session, _csrf = _authorizer(request).auth.login(user, password)
    except Unauthenticated as err:
        response = render(
            request,
            "login.html",
            {"next": safe_next(next), "login_csrf": csrf, "error": str(err), "auth_enabled": True},
            principal=None,
            status_code=401,
        )
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    """End the session (the form carries the session's CSRF token)."""
    request.state.audit_action = "auth:logout"
    authorizer = _authorizer(request)
    session = request.cookies.get(SESSION_COOKIE)
    principal = authorizer.auth.session_principal(session) if session else None
    if principal is not None:
        request.state.principal = principal
        if not principal.csrf or not secrets.compare_digest(principal.csrf, csrf):
            raise Forbidden("missing or wrong CSRF token; reload the page and log out again")
        authorizer.auth.logout(session or "")
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
