"""The remote client: tracking and the model registry over a loopml server's REST API.

With ``LOOPML_TRACKING_URI=http://host:port`` the :class:`~loopml.client.Client` wires
these classes instead of the local ones, so ``lm.start_run``, ``lm.search_runs``,
``lm.register_model``... keep their semantics against a shared server (see
docs/server.md).
"""

from __future__ import annotations

from loopml.remote.models import RemoteModels
from loopml.remote.run import RemoteRun
from loopml.remote.tracking import RemoteTracking
from loopml.remote.transport import HttpTransport, RemoteError

__all__ = ["HttpTransport", "RemoteError", "RemoteModels", "RemoteRun", "RemoteTracking"]
