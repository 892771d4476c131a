"""Online stores: latest feature values by entity key, behind one small Protocol.

The package ``loopml.features.online`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from loopml import _registry

if TYPE_CHECKING:
    from collections.abc import Sequence


@runtime_checkable
class OnlineStore(Protocol):
    """Where materialized feature values live.

    Every value starts with its event time (microseconds since the epoch, float64 little
    endian, 8 bytes), which ``event_us`` repeats so a backend need not parse values.
    """

    url: str

    def write_batch(
        self,
        table: str,
        keys: Sequence[bytes],
        values: Sequence[bytes],
        event_us: Sequence[float],
    ) -> int:
        """Write all values or none; a key is only replaced by a value at least as recent.

        Returns:
            How many keys were written (older incoming values are skipped).
        """
        ...

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        """Return the value of each key, ``None`` where there is none, in key order."""
        ...

    def drop(self, table: str) -> None:
        """Delete every value of a table."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def open_online_store(url: str) -> OnlineStore:
    """Open the online store at ``url`` with the backend registered for its scheme.

    Raises:
        UnknownBackend: no backend handles the scheme.
        MissingDependency: the backend needs an extra (``pip install 'loopml[redis]'``).
    """
    cls = _registry.load("online", _registry.scheme_of(url))
    store: OnlineStore = cls(url)
    return store
