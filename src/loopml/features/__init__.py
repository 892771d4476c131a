"""The feature store: entities, feature views, point-in-time retrieval, online serving.

Names load lazily, so the online read path (and the feature server) never imports pandas
or DuckDB until an offline call needs them.

Example:
    >>> import loopml as lm
    >>> view = lm.FeatureView("activity", "customer_id", "activity.parquet", "ts", ["orders"])
    >>> view.feature_names
    ('orders',)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "ApplyChange": "loopml.features.registry",
    "DataFrameSource": "loopml.features.sources",
    "DatasetSource": "loopml.features.sources",
    "Entity": "loopml.features.definitions",
    "EntityVersion": "loopml.features.registry",
    "Feature": "loopml.features.definitions",
    "FeatureStore": "loopml.features.api",
    "FeatureView": "loopml.features.definitions",
    "FileSource": "loopml.features.sources",
    "Materialization": "loopml.features.materialize",
    "OnlineFeatures": "loopml.features.lookup",
    "OnlineStore": "loopml.features.online",
    "SqlSource": "loopml.features.sources",
    "ViewVersion": "loopml.features.registry",
}

__all__ = [
    "ApplyChange",
    "DataFrameSource",
    "DatasetSource",
    "Entity",
    "EntityVersion",
    "Feature",
    "FeatureStore",
    "FeatureView",
    "FileSource",
    "Materialization",
    "OnlineFeatures",
    "OnlineStore",
    "SqlSource",
    "ViewVersion",
]

if TYPE_CHECKING:
    from loopml.features.api import FeatureStore
    from loopml.features.definitions import Entity, Feature, FeatureView
    from loopml.features.lookup import OnlineFeatures
    from loopml.features.materialize import Materialization
    from loopml.features.online import OnlineStore
    from loopml.features.registry import ApplyChange, EntityVersion, ViewVersion
    from loopml.features.sources import DataFrameSource, DatasetSource, FileSource, SqlSource


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'loopml.features' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
