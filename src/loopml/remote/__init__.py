"""The remote client: tracking and the model registry over a loopml server's REST API.

With ``LOOPML_TRACKING_URI=http://host:port`` the :class:`~loopml.client.Client` wires
these classes instead of the local ones, so ``lm.start_run``, ``lm.search_runs``,
``lm.register_model``... keep their semantics against a shared server (see
docs/server.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.remote.models import RemoteModels as RemoteModels
    from loopml.remote.run import RemoteRun as RemoteRun
    from loopml.remote.tracking import RemoteTracking as RemoteTracking
    from loopml.remote.transport import HttpTransport as HttpTransport, RemoteError as RemoteError
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
