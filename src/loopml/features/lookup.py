"""The online read path: entity keys in, latest feature values out, stale values as null.

Kept free of pandas and DuckDB so that the feature server starts fast; a plan per requested
feature list is built once and reused for every lookup.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput
from loopml.features import keys as keycodec
from loopml.features.codec import Codec
from loopml.features.types import is_aware

if TYPE_CHECKING:
    import pandas as pd

    from loopml.features.online import OnlineStore
    from loopml.features.references import Selection
    from loopml.features.registry import ViewVersion


class OnlineFeatures(dict[str, list[Any]]):
    """Columns of an online lookup: the entity columns, then one list per feature.

    It is a ``dict`` (column -> values, one per requested entity), so it serialises to JSON
    as is; ``to_df()`` and ``to_rows()`` give other shapes.
    """

    def to_dict(self) -> dict[str, list[Any]]:
        """Return a plain ``dict`` of columns."""
        return dict(self)

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one ``{column: value}`` dict per entity."""
        names = list(self)
        return [dict(zip(names, row, strict=True)) for row in zip(*self.values(), strict=True)]

    def to_df(self) -> pd.DataFrame:
        """Return a pandas DataFrame (one row per entity)."""
        import pandas as pd

        return pd.DataFrame(dict(self))


def codec_for(view: ViewVersion) -> Codec:
    """Return the codec of a view version's packed online values."""
    features = view.view.features or ()
    aware = [
        i
        for i, f in enumerate(features)
        if f.dtype == "timestamp" and is_aware(view.schema.get(f.name, "DATE"))
    ]
    return Codec([str(f.dtype) for f in features], aware)


@dataclass(frozen=True, slots=True)
class _ViewRead:
    name: str
    table: str
    codec: Codec
    keys: tuple[str, ...]
    key_types: tuple[str, ...]
    indexes: tuple[int, ...]
    outputs: tuple[str, ...]
    ttl_us: float | None


class OnlinePlan:
    """What one feature list reads: per view, its table, codec, keys and requested features."""

    def __init__(
        self, selections: Sequence[Selection], codecs: Mapping[tuple[str, int], Codec]
    ) -> None:
        self.views = [
            _ViewRead(
                name=s.view.name,
                table=s.view.namespace,
                codec=codecs[(s.view.name, s.view.version)],
                keys=tuple(s.view.keys),
                key_types=tuple(s.view.keys.values()),
                indexes=s.indexes,
                outputs=s.outputs,
                ttl_us=None if s.view.view.ttl_us is None else float(s.view.view.ttl_us),
            )
            for s in selections
        ]
        self.entity_columns: dict[str, str] = {}
        for view in self.views:
            for key, kind in zip(view.keys, view.key_types, strict=True):
                self.entity_columns.setdefault(key, kind)

    def read(
        self,
        store: OnlineStore,
        entities: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
        now: dt.datetime | None = None,
        *,
        with_event_times: bool = False,
    ) -> OnlineFeatures:
        """Look the entities up; values older than their view's TTL come back ``None``.

        Raises:
            InvalidInput: an entity column is missing, lengths differ, or a key is malformed.
        """
        columns, size = self._entity_values(entities)
        now_us = time.time() * 1e6 if now is None else _to_us(now)
        result = OnlineFeatures(columns)
        encoded: dict[tuple[str, ...], list[bytes]] = {}
        for view in self.views:
            keys = encoded.get(view.keys)
            if keys is None:
                keys = encoded[view.keys] = self._encode(view, columns)
            self._fill(result, view, store.read(view.table, keys), now_us, size, with_event_times)
        return result

    def _entity_values(
        self, entities: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, list[Any]], int]:
        if isinstance(entities, list | tuple) and all(isinstance(r, Mapping) for r in entities):
            entities = _rows_to_columns(entities, self.entity_columns)
        if not isinstance(entities, Mapping):
            raise InvalidInput(
                "entities must be a mapping of entity column to values, e.g. "
                "{'customer_id': [1, 2]}, or a list of rows [{'customer_id': 1}, ...]"
            )
        columns: dict[str, list[Any]] = {}
        for name, kind in self.entity_columns.items():
            if name not in entities:
                raise InvalidInput(
                    f"entity column {name!r} is missing from the lookup; pass "
                    f"{{{name!r}: [...]}} (got columns {sorted(entities)})"
                )
            values = entities[name]
            values = [values] if isinstance(values, str | int) else values
            columns[name] = [keycodec.coerce(v, kind, name) for v in values]
        sizes = {len(v) for v in columns.values()}
        if len(sizes) > 1:
            found = {k: len(v) for k, v in columns.items()}
            raise InvalidInput(f"entity columns must have the same length; got {found}")
        return columns, sizes.pop() if sizes else 0

    @staticmethod
    def _encode(view: _ViewRead, columns: Mapping[str, list[Any]]) -> list[bytes]:
        parts = [columns[key] for key in view.keys]
        if len(parts) == 1:
            return keycodec.encode_column(parts[0])
        return [keycodec.encode_one(row) for row in zip(*parts, strict=True)]

    @staticmethod
    def _fill(
        result: OnlineFeatures,
        view: _ViewRead,
        blobs: Sequence[bytes | None],
        now_us: float,
        size: int,
        with_event_times: bool,
    ) -> None:
        outs = [[None] * size for _ in view.outputs]
        times: list[Any] = [None] * size
        decode, ttl, pairs = view.codec.decode, view.ttl_us, list(enumerate(view.indexes))
        for j, blob in enumerate(blobs):
            if blob is None:
                continue
            event, values = decode(blob)
            if ttl is not None and now_us - event > ttl:
                continue
            times[j] = event
            for c, i in pairs:
                outs[c][j] = values[i]
        for name, values in zip(view.outputs, outs, strict=True):
            result[name] = values
        if with_event_times:
            result[f"{view.name}__event_timestamp"] = [
                None if t is None else dt.datetime.fromtimestamp(t / 1e6, dt.UTC) for t in times
            ]


def _rows_to_columns(
    rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    for name in names:
        missing = [i for i, row in enumerate(rows) if name not in row]
        if missing:
            raise InvalidInput(
                f"entity row {missing[0]} has no {name!r}; every row needs {sorted(names)}"
            )
        columns[name] = [row[name] for row in rows]
    return columns


def _to_us(value: dt.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp() * 1e6
