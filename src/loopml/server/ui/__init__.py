"""The web UI: server-rendered pages (Jinja2 + htmx) with uPlot charts, inside the wheel.

``install(app, client)`` mounts the pages under ``/ui`` and the static files under
``/ui/static``. Every page is a GET that checks a ``<resource>:read`` permission through
the app's authorizer (see docs/ui.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.server.ui.installing import install as install
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
