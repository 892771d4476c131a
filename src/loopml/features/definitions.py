"""Entities and feature views: what a project declares in Python and registers.

A definition is plain data. :meth:`FeatureView.spec` turns it into the JSON stored in the
registry; its digest decides whether applying it makes a new version.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from loopml._utils.clock import parse_duration
from loopml._utils.hashing import digest_json
from loopml.features.errors import InvalidDefinition
from loopml.features.sources import Source, coerce_source, source_from_spec
from loopml.features.types import check_feature_type

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid entity/view name, else raise :class:`InvalidDefinition`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidDefinition(
            f"{kind} name {name!r} is invalid; use letters, digits, '_', '.' or '-', "
            "starting with a letter or '_'"
        )
    return name


@dataclass(frozen=True, slots=True)
class Entity:
    """A business object that features describe; its name is the join key column.

    Args:
        name: the key column, e.g. ``"customer_id"`` (in sources and spines alike).
        dtype: ``"int64"`` or ``"string"``; inferred from the sources when ``None``.
        description: free text.

    Example:
        >>> Entity("customer_id", dtype="int64").name
        'customer_id'
    """

    name: str
    dtype: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_name("entity", self.name)
        if self.dtype not in (None, "int64", "string"):
            raise InvalidDefinition(
                f"entity {self.name!r} has dtype {self.dtype!r}; use 'int64', 'string' or None"
            )

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {"name": self.name, "dtype": self.dtype, "description": self.description}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Entity:
        """Rebuild an entity from its registry spec."""
        return cls(spec["name"], spec.get("dtype"), spec.get("description", ""))


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of a view: a source column and its type (``None`` = inferred)."""

    name: str
    dtype: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or ":" in self.name:
            raise InvalidDefinition(
                f"feature name {self.name!r} is invalid; it must be a non-empty column name "
                "without ':'"
            )
        if self.dtype is not None:
            check_feature_type(self.name, self.dtype)


@dataclass(frozen=True, slots=True)
class FeatureView:
    """A group of features of one entity (or a composite of several), read from one source.

    Args:
        name: the view name, used in references such as ``"activity:orders_7d"``.
        entity: the entity (or its name), or a sequence of them for a composite key.
        source: a path (parquet file, folder, glob or CSV), a DataFrame,
            :class:`~loopml.features.FileSource`, :class:`~loopml.features.SqlSource` or
            :class:`~loopml.features.DatasetSource`.
        timestamp: the event-time column: when the value became true.
        features: feature column names, a ``{name: type}`` mapping, or :class:`Feature`
            objects; ``None`` takes every other column of the source.
        created_timestamp: optional column with the time each row was written. It breaks
            ties between rows with the same event time (the later write wins), drives
            incremental materialization, and enables retrieval "as of known time".
        ttl: how long a value stays valid after its event time (``"30d"``, seconds or a
            timedelta); older values come back null. ``None`` means forever.
        online: whether :meth:`FeatureStore.materialize` loads the view into the online store.
        description: free text.
        tags: free-form string labels.

    Example:
        >>> view = FeatureView("activity", "customer_id", "data/activity.parquet", "ts",
        ...                    {"orders_7d": "int64", "spend_30d": "float64"}, ttl="30d")
        >>> view.feature_names
        ('orders_7d', 'spend_30d')
    """

    name: str
    entity: tuple[str, ...]
    source: Source
    timestamp: str
    features: tuple[Feature, ...] | None = None
    created_timestamp: str | None = None
    ttl: dt.timedelta | None = None
    online: bool = True
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    entities: tuple[Entity, ...] = field(default=(), compare=False, repr=False)

    def __init__(
        self,
        name: str,
        entity: str | Entity | Sequence[str | Entity],
        source: object,
        timestamp: str,
        features: Sequence[str | Feature] | Mapping[str, str | None] | None = None,
        *,
        created_timestamp: str | None = None,
        ttl: str | int | float | dt.timedelta | None = None,
        online: bool = True,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        setter = object.__setattr__
        setter(self, "name", check_name("feature view", name))
        names, objects = _entities(name, entity)
        setter(self, "entity", names)
        setter(self, "entities", objects)
        setter(self, "source", coerce_source(source))
        setter(self, "timestamp", _column(name, "timestamp", timestamp))
        created = None if created_timestamp is None else _column(name, "created", created_timestamp)
        setter(self, "created_timestamp", created)
        setter(self, "features", _features(name, features))
        setter(self, "ttl", _ttl(name, ttl))
        setter(self, "online", bool(online))
        setter(self, "description", description)
        setter(self, "tags", dict(tags or {}))
        self._check_columns()

    def _check_columns(self) -> None:
        reserved = {*self.entity, self.timestamp}
        if self.created_timestamp:
            reserved.add(self.created_timestamp)
        for feature in self.features or ():
            if feature.name in reserved:
                raise InvalidDefinition(
                    f"feature view {self.name!r}: {feature.name!r} is a key or timestamp "
                    "column and cannot also be a feature"
                )
        if self.created_timestamp == self.timestamp:
            raise InvalidDefinition(
                f"feature view {self.name!r}: created_timestamp must differ from timestamp"
            )

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The feature names (empty until resolved when ``features`` was ``None``)."""
        return tuple(f.name for f in self.features or ())

    @property
    def ttl_us(self) -> int | None:
        """The TTL in microseconds, or ``None``."""
        return None if self.ttl is None else int(self.ttl / dt.timedelta(microseconds=1))

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {
            "name": self.name,
            "entity": list(self.entity),
            "source": self.source.spec(),
            "timestamp": self.timestamp,
            "created_timestamp": self.created_timestamp,
            "features": None
            if self.features is None
            else [[f.name, f.dtype] for f in self.features],
            "ttl_s": None if self.ttl is None else self.ttl.total_seconds(),
            "online": self.online,
            "description": self.description,
            "tags": dict(sorted(self.tags.items())),
        }

    def digest(self) -> str:
        """Return the digest of the full definition (a change makes a new version)."""
        return digest_json(self.spec())

    def storage_digest(self) -> str:
        """Return the digest of what the online store holds (the spec without TTL and labels).

        Two versions that differ only in TTL, description, tags or ``online`` share
        their materialized values.
        """
        spec = self.spec()
        for key in ("ttl_s", "online", "description", "tags"):
            spec.pop(key)
        return digest_json(spec)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> FeatureView:
        """Rebuild a view from its registry spec."""
        features = spec.get("features")
        return cls(
            spec["name"],
            list(spec["entity"]),
            source_from_spec(spec["source"]),
            spec["timestamp"],
            None if features is None else [Feature(n, t) for n, t in features],
            created_timestamp=spec.get("created_timestamp"),
            ttl=spec.get("ttl_s"),
            online=spec.get("online", True),
            description=spec.get("description", ""),
            tags=spec.get("tags") or {},
        )

    def with_features(
        self, features: Sequence[Feature], source: Source | None = None
    ) -> FeatureView:
        """Return a copy with resolved features (and optionally a replaced source)."""
        copy = object.__new__(FeatureView)
        for item in fields(self):
            object.__setattr__(copy, item.name, getattr(self, item.name))
        object.__setattr__(copy, "features", tuple(features))
        if source is not None:
            object.__setattr__(copy, "source", source)
        return copy


def _entities(view: str, value: object) -> tuple[tuple[str, ...], tuple[Entity, ...]]:
    items = [value] if isinstance(value, str | Entity) else list(value)  # type: ignore[call-overload]
    if not items:
        raise InvalidDefinition(f"feature view {view!r} needs at least one entity")
    names: list[str] = []
    objects: list[Entity] = []
    for item in items:
        if isinstance(item, Entity):
            objects.append(item)
            names.append(item.name)
        elif isinstance(item, str):
            names.append(check_name("entity", item))
        else:
            raise InvalidDefinition(
                f"feature view {view!r}: entity must be a name or lm.Entity, got {item!r}"
            )
    if len(set(names)) != len(names):
        raise InvalidDefinition(f"feature view {view!r} names an entity twice: {names}")
    return tuple(names), tuple(objects)


def _column(view: str, what: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidDefinition(
            f"feature view {view!r}: {what} must be a column name, got {value!r}"
        )
    return value


def _features(view: str, value: object) -> tuple[Feature, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidDefinition(
            f"feature view {view!r}: features must be a list of names, not the string {value!r}"
        )
    if isinstance(value, Mapping):
        items = [Feature(str(k), v) for k, v in value.items()]
    else:
        items = [f if isinstance(f, Feature) else Feature(f) for f in value]  # type: ignore[attr-defined]
    if not items:
        raise InvalidDefinition(f"feature view {view!r} needs at least one feature (or None)")
    names = [f.name for f in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidDefinition(f"feature view {view!r} lists features twice: {duplicates}")
    return tuple(items)


def _ttl(view: str, value: object) -> dt.timedelta | None:
    if value is None:
        return None
    try:
        ttl = parse_duration(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as err:
        raise InvalidDefinition(f"feature view {view!r}: {err}") from err
    if ttl <= dt.timedelta(0):
        raise InvalidDefinition(f"feature view {view!r}: ttl must be positive, got {value!r}")
    return ttl
