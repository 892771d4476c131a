"""Online/offline consistency: do sampled online values equal what the offline store says?

For a sample of entities, the offline latest row (as of the view's watermark, i.e. what
the last materialization should have loaded) is packed with the same codec as the online
value; equal bytes mean equal values. Differences are decoded into a readable report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml.features.materialize import Window, build_latest_sql, encode_table

if TYPE_CHECKING:
    import duckdb

    from loopml.features.codec import Codec
    from loopml.features.offline import ViewJoin
    from loopml.features.online import OnlineStore
    from loopml.features.registry import ViewVersion


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    """The result of :meth:`FeatureStore.check`.

    Attributes:
        view: the view name.
        version: the view version checked.
        horizon_us: the watermark the comparison is as of (epoch µs).
        sampled: entities compared.
        matching: entities whose online value equals the offline latest value.
        mismatched: entities whose online value differs (values or event time).
        missing_online: entities with an offline value but none online.
        expired: matching entities whose value is older than the TTL now (served as null).
        mismatches: up to 20 differences, ``{"entity", "feature", "online", "offline"}``.
    """

    view: str
    version: int
    horizon_us: int
    sampled: int
    matching: int
    mismatched: int
    missing_online: int
    expired: int
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every sampled entity is consistent."""
        return self.mismatched == 0 and self.missing_online == 0


def sample_latest_sql(
    join: ViewJoin, horizon_us: int, has_created: bool, sample: int, seed: int
) -> str:
    """Return SQL sampling ``sample`` entities' latest rows as of ``horizon_us``."""
    latest = build_latest_sql(join, Window(None, horizon_us, on_created=has_created))
    rows = f"reservoir({int(sample)} ROWS) REPEATABLE ({int(seed)})"
    return f"SELECT * FROM ({latest}) USING SAMPLE {rows}"


def compare(
    con: duckdb.DuckDBPyConnection,
    view: ViewVersion,
    join: ViewJoin,
    codec: Codec,
    online: OnlineStore,
    *,
    horizon_us: int,
    now_us: float,
    sample: int = 100,
    seed: int = 0,
) -> ConsistencyReport:
    """Compare a sample of online values with the offline latest values."""
    has_created = view.view.created_timestamp is not None
    table = con.sql(sample_latest_sql(join, horizon_us, has_created, sample, seed)).to_arrow_table()
    types = tuple(view.feature_types[f] for f in view.view.feature_names)
    keys, expected, _ = encode_table(table, join.keys, types, codec)
    found = online.read(view.namespace, keys) if keys else []
    matching = mismatched = missing = expired = 0
    details: list[dict[str, Any]] = []
    ttl = view.view.ttl_us
    for key, want, got in zip(keys, expected, found, strict=True):
        if got is None:
            missing += 1
            continue
        if got == want:
            matching += 1
            event, _ = codec.decode(got)
            expired += int(ttl is not None and now_us - event > ttl)
            continue
        mismatched += 1
        details.extend(_differences(key, codec, view, got, want)[: max(0, 20 - len(details))])
    return ConsistencyReport(
        view.name,
        view.version,
        horizon_us,
        len(keys),
        matching,
        mismatched,
        missing,
        expired,
        details,
    )


def _differences(
    key: bytes, codec: Codec, view: ViewVersion, got: bytes, want: bytes
) -> list[dict[str, Any]]:
    online_event, online_values = codec.decode(got)
    offline_event, offline_values = codec.decode(want)
    entity = key.decode()
    out = []
    if online_event != offline_event:
        out.append(
            {
                "entity": entity,
                "feature": "<event time µs>",
                "online": online_event,
                "offline": offline_event,
            }
        )
    for name, a, b in zip(view.view.feature_names, online_values, offline_values, strict=True):
        if a != b and not (a != a and b != b):  # NaN equals NaN here
            out.append({"entity": entity, "feature": name, "online": a, "offline": b})
    return out
