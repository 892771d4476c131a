"""Redis online store: one string key per (view table, entity key), holding packed values.

``redis://host:port/db?prefix=loopml`` (``rediss://`` for TLS). Keys are
``<prefix>:<table>:<entity key>``; a batch is written by one Lua script, which Redis runs
atomically, and which keeps a stored value whose event time is newer than the incoming one.
Lookups are one ``GET`` or one ``MGET``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from loopml import _registry
from loopml.errors import BackendUnavailable

if TYPE_CHECKING:
    from collections.abc import Sequence

# Values start with the event time as a little-endian float64 (see OnlineStore).
# Values start with the event time as a little-endian float64 (see OnlineStore). Redis does
# not roll a script back, so every read and comparison (which could fail) happens before
# the first write.
_WRITE = """
local newer = {}
for i = 1, #KEYS do
  local old = redis.call('GET', KEYS[i])
  if (not old) or struct.unpack('<d', old) <= struct.unpack('<d', ARGV[i]) then
    newer[#newer + 1] = i
  end
end
for _, i in ipairs(newer) do
  redis.call('SET', KEYS[i], ARGV[i])
end
return #newer
"""


def split_prefix(url: str) -> tuple[str, str]:
    """Return ``(url without the prefix parameter, prefix)``; the default prefix is loopml."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    prefix = next((v for k, v in query if k == "prefix"), "loopml")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


REDIS_CONNECT_TIMEOUT_S = 5.0
REDIS_SOCKET_TIMEOUT_S = 10.0


class RedisOnlineStore:
    """The Redis online store (extra ``redis``).

    Args:
        url: ``redis://host:port/db`` with an optional ``?prefix=`` for the key prefix.
    """

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ModuleNotFoundError as err:
            raise _registry.missing_dependency(err) from err
        self.url = url
        plain, prefix = split_prefix(url)
        self.prefix = prefix.encode()
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        # Fail in seconds, not never: connect and read timeouts, then three retries with
        # exponential backoff on connection errors (URL parameters such as
        # ?socket_timeout=30 override these; see docs/scaling.md).
        self.client: Any = redis.Redis.from_url(
            plain,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
            socket_timeout=REDIS_SOCKET_TIMEOUT_S,
            retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), 3),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            health_check_interval=30,
        )
        self._script = self.client.register_script(_WRITE)

    def __repr__(self) -> str:
        return f"RedisOnlineStore(prefix={self.prefix.decode()!r})"

    def _key(self, table: str) -> bytes:
        return self.prefix + b":" + table.encode() + b":"

    def write_batch(
        self,
        table: str,
        keys: Sequence[bytes],
        values: Sequence[bytes],
        event_us: Sequence[float],
    ) -> int:
        """Write every value in one atomic script, keeping newer stored values."""
        if not keys:
            return 0
        head = self._key(table)
        try:
            return int(self._script(keys=[head + k for k in keys], args=list(values)))
        except self._errors as err:
            raise self._unavailable(err) from err

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        """Return the value of each key (``None`` where missing), in key order."""
        head = self._key(table)
        try:
            if len(keys) == 1:
                return [self.client.get(head + keys[0])]
            return list(self.client.mget([head + k for k in keys]))
        except self._errors as err:
            raise self._unavailable(err) from err

    def drop(self, table: str) -> None:
        """Delete every key of ``table``."""
        pattern = self._key(table) + b"*"
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self.client.unlink(*batch)
                batch.clear()
        if batch:
            self.client.unlink(*batch)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def _unavailable(self, err: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            f"the Redis online store failed ({type(err).__name__}: {err}); check that Redis "
            "is running and LOOPML_ONLINE_STORE is right"
        )
