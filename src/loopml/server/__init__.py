"""The platform server: REST for every component, MLflow compatibility, UI, auth hooks.

Start it with ``loopml up``; build the app yourself with :func:`loopml.server.app.create_app`.
"""

from __future__ import annotations
