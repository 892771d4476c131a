"""Auth for the platform server: ``install(app, client)`` and ``check_bind(host, enabled)``.

``install`` sets ``app.state.authorizer`` (Bearer tokens, UI sessions, the single local
user on 127.0.0.1), adds the audit middleware, the login/logout pages and the REST routes
for users, tokens, roles and the audit log. See docs/auth.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.server.auth.authorizer import Authorizer as Authorizer, is_loopback as is_loopback
    from loopml.server.auth.installing import check_bind as check_bind, install as install
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
