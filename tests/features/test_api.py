"""The FeatureStore API over a real store (SQLite and PostgreSQL metadata)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import loopml as lm
from loopml.errors import Conflict, InvalidInput
from loopml.features import registry
from loopml.features.errors import (
    EntityNotFound,
    FeatureNotFound,
    FeatureViewNotFound,
    InvalidDefinition,
    InvalidFeatureReference,
    SourceError,
    SourceSchemaChanged,
    SpineError,
)
from loopml.store.tables import features as t
from tests.features.conftest import activity_view, ts

if TYPE_CHECKING:
    from pathlib import Path


def spine(*rows: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "event_timestamp": ts(*(r[1] for r in rows))}
    )


def test_apply_versions_definitions(fs: lm.FeatureStore, activity: Path) -> None:
    first = fs.apply([activity_view(activity)])
    assert [(c.kind, c.name, c.version, c.action) for c in first] == [
        ("entity", "customer_id", 1, "created"),
        ("view", "activity", 1, "created"),
    ]
    assert first[1].needs_materialize
    again = fs.apply([activity_view(activity)])
    assert [c.action for c in again] == ["unchanged", "unchanged"]
    ttl_only = fs.apply([activity_view(activity, ttl="5d")])[1]
    assert (ttl_only.version, ttl_only.action, ttl_only.changed) == (2, "updated", ("ttl_s",))
    assert not ttl_only.needs_materialize  # the stored values are the same
    current = fs.get_view("activity")
    assert current.version == 2
    assert current.feature_types == {"orders": "int64", "spend": "float64", "tier": "string"}
    assert fs.get_view("activity", 1).view.ttl.days == 3
    assert [v.version for v in fs.view_versions("activity")] == [1, 2]
    assert [e.name for e in fs.list_entities()] == ["customer_id"]


def test_dry_run_registers_nothing(fs: lm.FeatureStore, activity: Path) -> None:
    changes = fs.apply([activity_view(activity)], dry_run=True)
    assert [c.action for c in changes] == ["created", "created"]
    assert fs.list_views() == []


def test_features_default_to_every_other_column(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([lm.FeatureView("a", lm.Entity("customer_id"), str(activity), "ts")])
    assert fs.get_view("a").view.feature_names == ("orders", "spend", "tier")


def test_bad_definitions_register_nothing(fs: lm.FeatureStore, activity: Path) -> None:
    good = activity_view(activity)
    missing = lm.FeatureView("b", "customer_id", str(activity), "ts", ["nope"])
    with pytest.raises(SourceError, match=r"column 'nope' is not in its source"):
        fs.apply([good, missing])
    assert fs.list_views() == []
    with pytest.raises(EntityNotFound, match=r"entity 'customer_id', which is not registered"):
        fs.apply([lm.FeatureView("c", "customer_id", str(activity), "ts", ["orders"])])
    with pytest.raises(
        InvalidDefinition, match="declared int64 but its source column has type VARCHAR"
    ):
        fs.apply(
            [lm.FeatureView("d", lm.Entity("customer_id"), str(activity), "ts", {"tier": "int64"})]
        )
    with pytest.raises(
        InvalidDefinition, match="declared string but the source column has type BIGINT"
    ):
        fs.apply(
            [
                lm.FeatureView(
                    "e", lm.Entity("customer_id", dtype="string"), str(activity), "ts", ["orders"]
                )
            ]
        )
    with pytest.raises(SourceError, match="does not exist"):
        fs.apply([lm.FeatureView("f", lm.Entity("customer_id"), "missing.parquet", "ts")])
    with pytest.raises(InvalidDefinition, match="timestamp column 'tier' has type VARCHAR"):
        fs.apply([lm.FeatureView("g", lm.Entity("customer_id"), str(activity), "tier")])


def test_historical_retrieval_is_point_in_time(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([activity_view(activity)])
    frame = spine(
        (1, "2024-01-04"),
        (1, "2024-01-09"),
        (2, "2024-01-11"),
        (3, "2024-01-03"),
        (9, "2024-01-05"),
    )
    frame.index = [10, 11, 12, 13, 14]
    result = fs.get_historical_features(
        frame, ["activity:orders", "activity:spend", "activity:tier"]
    )
    assert list(result.index) == [10, 11, 12, 13, 14]
    assert result["orders"].tolist() == [
        1,
        pd.NA,
        4,
        5,
        pd.NA,
    ]  # 1@01-09: 01-05 is 4 days old (TTL 3d)
    assert result["spend"].iloc[2] == 4.0
    assert result["tier"].tolist()[:1] == ["a"]
    lineage = result.attrs["loopml.features"]["views"]
    assert lineage[0]["view"] == "activity"
    assert lineage[0]["version"] == 1


def test_references_and_spine_errors_name_the_problem(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([activity_view(activity)])
    frame = spine((1, "2024-01-04"))
    with pytest.raises(InvalidFeatureReference, match="'orders' must look like 'view:feature'"):
        fs.get_historical_features(frame, ["orders"])
    with pytest.raises(FeatureViewNotFound, match=r"no feature view 'nope'.*\['activity'\]"):
        fs.get_historical_features(frame, ["nope:orders"])
    with pytest.raises(FeatureNotFound, match=r"has no feature 'order'; its features: \['orders'"):
        fs.get_historical_features(frame, ["activity:order"])
    with pytest.raises(SpineError, match=r"no entity column 'customer_id'"):
        fs.get_historical_features(
            frame.rename(columns={"customer_id": "cid"}), ["activity:orders"]
        )
    with pytest.raises(SpineError, match=r"no timestamp column 'event_timestamp'.*\['ts'\]"):
        fs.get_historical_features(
            frame.rename(columns={"event_timestamp": "ts"}), ["activity:orders"]
        )
    naive = frame.assign(event_timestamp=frame["event_timestamp"].dt.tz_localize(None))
    with pytest.raises(
        SpineError, match="holds naive timestamps but feature view 'activity' has aware"
    ):
        fs.get_historical_features(naive, ["activity:orders"])
    with pytest.raises(SpineError, match="dtype str, not datetime"):
        fs.get_historical_features(frame.assign(event_timestamp="2024-01-01"), ["activity:orders"])
    with pytest.raises(SpineError, match="keys are int64"):
        fs.get_historical_features(frame.assign(customer_id="1"), ["activity:orders"])
    with pytest.raises(SpineError, match="would overwrite the spine column"):
        fs.get_historical_features(frame.assign(orders=1), ["activity:orders"])


def test_pinned_versions_and_full_names(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([activity_view(activity)])
    fs.apply([activity_view(activity, ttl="30d")])
    frame = spine((1, "2024-01-09"))
    old = fs.get_historical_features(frame, ["activity@1:orders"], full_names=True)
    new = fs.get_historical_features(frame, ["activity:*"], full_names=True)
    assert old["activity__orders"].tolist() == [pd.NA]
    assert new["activity__orders"].tolist() == [2]
    assert list(new.columns[-3:]) == ["activity__orders", "activity__spend", "activity__tier"]
    with pytest.raises(FeatureViewNotFound, match="version 7"):
        fs.get_historical_features(frame, ["activity@7:orders"])


def test_schema_change_under_a_view_is_a_clear_error(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([activity_view(activity)])
    original = pd.read_parquet(activity)
    original.assign(spend=original["spend"].astype(str)).to_parquet(activity)
    with pytest.raises(
        SourceSchemaChanged, match="column 'spend' changed type from DOUBLE to VARCHAR"
    ):
        fs.get_historical_features(spine((1, "2024-01-04")), ["activity:orders"])
    original.drop(columns=["tier"]).to_parquet(activity)
    with pytest.raises(SourceSchemaChanged, match=r"column 'tier' .* is gone"):
        fs.materialize()


def test_compatible_schema_change_is_accepted(fs: lm.FeatureStore, activity: Path) -> None:
    fs.apply([activity_view(activity)])
    pd.read_parquet(activity).assign(orders=lambda d: d["orders"].astype("int32")).to_parquet(
        activity
    )
    result = fs.get_historical_features(spine((2, "2024-01-11")), ["activity:orders"])
    assert result["orders"].tolist() == [4]


def test_dataframe_csv_and_folder_sources(
    fs: lm.FeatureStore, activity: Path, tmp_path: Path
) -> None:
    frame = pd.read_parquet(activity)
    frame.to_csv(tmp_path / "a.csv", index=False)
    folder = tmp_path / "parts"
    for day, part in frame.groupby(frame["ts"].dt.day):
        (folder / f"day={day}").mkdir(parents=True)
        part.to_parquet(folder / f"day={day}" / "p.parquet")
    entity = lm.Entity("customer_id")
    fs.apply(
        [
            lm.FeatureView("df", entity, frame, "ts", ["orders"]),
            lm.FeatureView("csv", entity, lm.FileSource(tmp_path / "a.csv"), "ts", ["orders"]),
            lm.FeatureView("dir", entity, str(folder), "ts", ["orders"]),
        ]
    )
    assert fs.get_view("df").view.source.spec()["type"] == "blob"
    frame.loc[0, "orders"] = 99  # the registered snapshot does not change
    result = fs.get_historical_features(
        spine((1, "2024-01-02"), (2, "2024-01-11")),
        ["df:orders", "csv:orders", "dir:orders"],
        full_names=True,
    )
    for name in ("df__orders", "csv__orders", "dir__orders"):
        assert result[name].tolist() == [1, 4], name


def test_sql_sources_on_the_metadata_and_another_database(
    fs: lm.FeatureStore, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE payments (customer_id INTEGER, paid_at TEXT, amount REAL)")
        conn.executemany(
            "INSERT INTO payments VALUES (?, ?, ?)",
            [
                (1, "2024-01-01 10:00:00", 5.0),
                (1, "2024-01-03 10:00:00", 7.0),
                (2, "2024-01-02 00:00:00", 1.5),
            ],
        )
    entity = lm.Entity("customer_id")
    warehouse = lm.SqlSource(
        "SELECT customer_id, paid_at, amount FROM payments", url=f"sqlite:///{path}"
    )
    runs = lm.SqlSource("SELECT 1 AS customer_id, '2024-01-01' AS day, 3.0 AS score")
    fs.apply(
        [
            lm.FeatureView("payments", entity, warehouse, "paid_at", ["amount"]),
            lm.FeatureView("meta", entity, runs, "day", ["score"]),
        ]
    )
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "event_timestamp": pd.to_datetime(["2024-01-02", "2024-01-04", "2024-01-01"]),
        }
    )
    result = fs.get_historical_features(frame, ["payments:amount", "meta:score"])
    assert result["amount"].tolist()[:2] == [5.0, 7.0]
    assert pd.isna(result["amount"].iloc[2])
    assert result["score"].tolist()[:2] == [3.0, 3.0]
    bad = lm.SqlSource("SELECT * FROM nowhere", url=f"sqlite:///{path}")
    with pytest.raises(SourceError, match="the source query failed"):
        fs.apply([lm.FeatureView("bad", entity, bad, "paid_at")])


def test_composite_and_string_keys(fs: lm.FeatureStore) -> None:
    frame = pd.DataFrame(
        {
            "customer": ["a", "a", "b"],
            "store_id": [1, 2, 1],
            "ts": ts("2024-01-01", "2024-01-01", "2024-01-02"),
            "visits": [1, 2, 3],
        }
    )
    fs.apply(
        [
            lm.FeatureView(
                "visits", [lm.Entity("customer"), lm.Entity("store_id")], frame, "ts", ["visits"]
            )
        ]
    )
    query = pd.DataFrame(
        {
            "customer": ["a", "b", "b"],
            "store_id": [2, 1, 2],
            "event_timestamp": ts("2024-01-03", "2024-01-03", "2024-01-03"),
        }
    )
    assert fs.get_historical_features(query, ["visits:visits"])["visits"].tolist() == [2, 3, pd.NA]
    fs.materialize()
    online = fs.get_online_features(
        {"customer": ["a", "b", "b"], "store_id": [2, 1, 2]}, ["visits:visits"]
    )
    assert online["visits"] == [2, 3, None]
    with pytest.raises(InvalidInput, match="must have the same length"):
        fs.get_online_features({"customer": ["a"], "store_id": [1, 2]}, ["visits:visits"])


def test_known_time_excludes_late_backfills(fs: lm.FeatureStore) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "ts": ts("2024-01-01", "2024-01-05"),
            "written": ts("2024-01-01", "2024-01-20"),  # the 01-05 value was backfilled on 01-20
            "score": [1.0, 2.0],
        }
    )
    fs.apply(
        [
            lm.FeatureView(
                "s", lm.Entity("customer_id"), frame, "ts", ["score"], created_timestamp="written"
            )
        ]
    )
    query = spine((1, "2024-01-10"))
    assert fs.get_historical_features(query, ["s:score"])["score"].tolist() == [2.0]
    as_known = fs.get_historical_features(query, ["s:score"], known_at="event_timestamp")
    assert as_known["score"].tolist() == [1.0]
    cutoff = fs.get_historical_features(query, ["s:score"], known_at="2024-01-25T00:00:00+00:00")
    assert cutoff["score"].tolist() == [2.0]
    with pytest.raises(SpineError, match="is naive but the spine timestamps are aware"):
        fs.get_historical_features(query, ["s:score"], known_at="2024-01-25")


def test_concurrent_applies_are_a_conflict_not_a_crash(
    fs: lm.FeatureStore, activity: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs.apply([activity_view(activity)])
    current = fs.get_view("activity")
    changed = activity_view(activity, ttl="9d").with_features(current.view.features or ())
    # Another process inserted version 2 between our read of the latest version and our insert.
    original = registry._latest_row
    monkeypatch.setattr(
        registry,
        "_latest_row",
        lambda conn, table, name: None if table is t.feature_views else original(conn, table, name),
    )
    with pytest.raises(Conflict, match="run apply again"):
        registry.apply(fs.store, [], [(changed, current.schema)])
