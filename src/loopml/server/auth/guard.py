"""``permit(permission)``: the dependency the auth and UI routes use.

It is the server's :func:`loopml.server.access.requires` (one vocabulary, one hook): it
stores the permission on ``request.state`` and calls ``app.state.authorizer``.
"""

from __future__ import annotations

from loopml.server.access import requires as permit

__all__ = ["permit"]
