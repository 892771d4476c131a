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

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.features.api import FeatureStore as FeatureStore
    from loopml.features.definitions import (
        Entity as Entity,
        Feature as Feature,
        FeatureView as FeatureView,
    )
    from loopml.features.lookup import OnlineFeatures as OnlineFeatures
    from loopml.features.materialize import Materialization as Materialization
    from loopml.features.online import OnlineStore as OnlineStore
    from loopml.features.registry import (
        ApplyChange as ApplyChange,
        EntityVersion as EntityVersion,
        ViewVersion as ViewVersion,
    )
    from loopml.features.sources import (
        DataFrameSource as DataFrameSource,
        DatasetSource as DatasetSource,
        FileSource as FileSource,
        SqlSource as SqlSource,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
