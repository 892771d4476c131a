"""What every UI page needs: the client, and the principal allowed to see the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.server.auth.guard import permit

if TYPE_CHECKING:
    from starlette.requests import Request

    from loopml.client import Client

__all__ = ["client_of", "permit"]


def client_of(request: Request) -> Client:
    """Return the loopml client the UI was installed with."""
    found: Client = request.app.state.ui_client
    return found
