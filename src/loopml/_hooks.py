"""Hooks that higher layers hand down: how a component reaches ``lm``'s default client.

Components sit below :mod:`loopml.client` and the facade and never import them, not even
through a ``"module:attr"`` string. A few conveniences still need the default client
(``lm.FeatureStore()`` with no client, ``pipeline.run()``, a fresh ``lm.load_model``):
they ask this module, and the root package registers, once, the factory that builds a
:class:`loopml.Client` (the host registers hooks downward, as in pluggy).

This module also holds the default client itself, so that ``lm.configure`` and the
components agree on it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from loopml.errors import LoopmlError

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.config import Settings

_FACTORY: list[Callable[[Settings | None], Any]] = []
_CLIENT: list[Any] = []
_LOCK = threading.RLock()


def register_client_factory(factory: Callable[[Settings | None], Any]) -> None:
    """Set how the default client is built (``loopml/__init__`` registers ``Client``)."""
    _FACTORY[:] = [factory]


def default_client(settings: Settings | None = None) -> Any:
    """Return the default client, building it on first use (from ``settings`` if given).

    Raises:
        LoopmlError: no factory was registered (``loopml`` itself was not imported).
    """
    if not _CLIENT:
        with _LOCK:
            if not _CLIENT:
                if not _FACTORY:
                    raise LoopmlError(
                        "no default client factory is registered; import loopml (the root "
                        "package registers it) or pass a client explicitly"
                    )
                _CLIENT.append(_FACTORY[0](settings))
    return _CLIENT[0]


def current_client() -> Any | None:
    """Return the default client if one was built (by ``lm.configure`` or a call), else ``None``."""
    return _CLIENT[0] if _CLIENT else None


def replace_default_client(client: Any | None) -> list[Any]:
    """Make ``client`` the default (``None``: none); return the clients it replaced."""
    with _LOCK:
        old = list(_CLIENT)
        _CLIENT[:] = [] if client is None else [client]
    return old
