from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import loopml as lm
from loopml.features.definitions import Feature, FeatureView
from loopml.features.errors import InvalidDefinition
from loopml.features.sources import (
    BlobSource,
    DataFrameSource,
    FileSource,
    SqlSource,
    source_from_spec,
)
from loopml.features.types import infer_feature_type, is_readable_as, key_type, timestamp_kind


def view(**options) -> FeatureView:
    base = {
        "name": "activity",
        "entity": "customer_id",
        "source": "a.parquet",
        "timestamp": "ts",
        "features": ["orders"],
    }
    base.update(options)
    return lm.FeatureView(**base)


def test_features_can_be_names_types_or_objects() -> None:
    assert view(features=["a", "b"]).features == (Feature("a"), Feature("b"))
    assert view(features={"a": "int64"}).features == (Feature("a", "int64"),)
    assert view(features=[Feature("a", "string")]).feature_names == ("a",)
    assert view(features=None).features is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "bad name"}, "feature view name 'bad name' is invalid"),
        ({"entity": []}, "needs at least one entity"),
        ({"entity": ["a", "a"]}, "names an entity twice"),
        ({"features": "orders"}, "not the string 'orders'"),
        ({"features": ["a", "a"]}, r"lists features twice: \['a'\]"),
        ({"features": {"a": "decimal"}}, "unknown type 'decimal'"),
        ({"features": ["ts"]}, "'ts' is a key or timestamp column"),
        ({"features": ["x:y"]}, "without ':'"),
        ({"ttl": "soon"}, "cannot read duration 'soon'"),
        ({"ttl": 0}, "ttl must be positive"),
        ({"created_timestamp": "ts"}, "created_timestamp must differ"),
        ({"source": 42}, "source must be a path, a DataFrame"),
    ],
)
def test_malformed_views_are_rejected_with_the_value(options, message) -> None:
    with pytest.raises(InvalidDefinition, match=message):
        view(**options)


def test_entities_validate_their_type() -> None:
    assert lm.Entity("customer_id").dtype is None
    with pytest.raises(InvalidDefinition, match="dtype 'float'"):
        lm.Entity("x", dtype="float")


def test_ttl_accepts_text_seconds_and_timedeltas() -> None:
    assert view(ttl="30d").ttl == dt.timedelta(days=30)
    assert view(ttl=90).ttl_us == 90_000_000
    assert view(ttl=dt.timedelta(hours=1)).ttl == dt.timedelta(hours=1)


def test_spec_round_trips_and_digest_tracks_changes() -> None:
    original = view(ttl="1d", tags={"team": "growth"}, created_timestamp="written")
    again = FeatureView.from_spec(original.spec())
    assert again == original
    assert again.digest() == original.digest()
    assert view(ttl="2d").digest() != view(ttl="1d").digest()
    assert view(features=["orders", "spend"]).digest() != view().digest()


def test_storage_digest_ignores_ttl_and_labels_only() -> None:
    assert view(ttl="1d", description="x").storage_digest() == view(ttl="9d").storage_digest()
    assert view(source="b.parquet").storage_digest() != view().storage_digest()


def test_sources_round_trip_through_specs() -> None:
    for source in (
        FileSource("x.csv"),
        SqlSource("select 1", "sqlite://"),
        lm.DatasetSource("d", 2),
        BlobSource("ab"),
    ):
        assert source_from_spec(source.spec()) == source
    assert FileSource("x.csv").format == "csv"
    frame_source = DataFrameSource(pd.DataFrame({"a": [1]}))
    assert frame_source.spec() == {"type": "blob", "digest": frame_source.digest()}
    with pytest.raises(InvalidDefinition, match="unknown source type 'ftp'"):
        source_from_spec({"type": "ftp"})


def test_type_mapping() -> None:
    assert infer_feature_type("DECIMAL(18,3)") == "float64"
    assert infer_feature_type("INTEGER") == "int32"
    assert is_readable_as("INTEGER", "float64")
    assert not is_readable_as("DOUBLE", "int64")
    assert key_type("UBIGINT" if False else "BIGINT", "k") == "int64"
    assert timestamp_kind("TIMESTAMPTZ_NS", "t") == "aware"
    assert timestamp_kind("DATE", "t") == "naive"
    with pytest.raises(InvalidDefinition, match="column 'v' has type INTEGER\\[\\]"):
        infer_feature_type("INTEGER[]", "v")
    with pytest.raises(InvalidDefinition, match="entity keys must be integers or strings"):
        key_type("DOUBLE", "k")
    with pytest.raises(InvalidDefinition, match="not a timestamp"):
        timestamp_kind("VARCHAR", "t")
