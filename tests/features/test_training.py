"""Dataset-version sources and training sets logged with lineage (loopml.data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest
from sqlalchemy import select

import loopml as lm
from loopml.errors import InvalidInput
from loopml.store.tables import core
from tests.features.conftest import activity_view, ts

if TYPE_CHECKING:
    from pathlib import Path


def edges(fs: lm.FeatureStore) -> set[tuple[str, str, str, str, str]]:
    t = core.lineage_edges
    with fs.store.db.read() as conn:
        rows = conn.execute(
            select(t.c.src_type, t.c.src_id, t.c.relation, t.c.dst_type, t.c.dst_id)
        )
        return {tuple(row) for row in rows}


def frame(scores: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [1, 2], "ts": ts("2024-01-01", "2024-01-02"), "score": scores}
    )


def test_dataset_version_sources_pinned_and_latest(fs: lm.FeatureStore, client: lm.Client) -> None:
    first = lm.log_dataset(frame([1.0, 2.0]), "scores")
    entity = lm.Entity("customer_id")
    fs.apply(
        [
            lm.FeatureView(
                "pinned", entity, lm.DatasetSource("scores", version=1), "ts", ["score"]
            ),
            lm.FeatureView("latest", entity, lm.DatasetSource("scores"), "ts", ["score"]),
        ]
    )
    lm.log_dataset(frame([10.0, 20.0]), "scores")
    spine = pd.DataFrame({"customer_id": [1, 2], "event_timestamp": ts("2024-01-05", "2024-01-05")})
    result = fs.get_historical_features(spine, ["pinned:score", "latest:score"], full_names=True)
    assert result["pinned__score"].tolist() == [1.0, 2.0]
    assert result["latest__score"].tolist() == [10.0, 20.0]
    views = {v["view"]: v for v in result.attrs["loopml.features"]["views"]}
    assert views["latest"]["dataset_version"] == "scores/2"
    assert views["pinned"]["dataset_version"] == first.node_id
    assert ("feature_view", "pinned/1", "derived_from", "dataset_version", "scores/1") in edges(fs)


def test_training_sets_are_logged_with_lineage(
    fs: lm.FeatureStore, client: lm.Client, activity: Path
) -> None:
    fs.apply([activity_view(activity)])
    spine = pd.DataFrame({"customer_id": [1, 2], "event_timestamp": ts("2024-01-04", "2024-01-11")})
    train = fs.get_historical_features(spine, ["activity:orders", "activity:spend"])
    train["label"] = [0, 1]
    with lm.start_run("churn") as run:
        version = fs.log_training_set(train, "churn_train", description="January labels")
    assert version.metadata["kind"] == "training_set"
    assert version.metadata["features"] == ["activity@1:orders", "activity@1:spend"]
    loaded = lm.load_dataset("churn_train", version=version.version)
    pd.testing.assert_frame_equal(
        loaded[["orders", "label"]], train[["orders", "label"]], check_dtype=False
    )
    found = edges(fs)
    assert (
        "dataset_version",
        version.node_id,
        "derived_from",
        "feature_view",
        "activity/1",
    ) in found
    assert ("feature_view", "activity/1", "derived_from", "file", str(activity)) in found
    assert ("run", run.id, "used", "dataset_version", version.node_id) in found
    assert fs.log_training_set(train, "churn_train").version == version.version  # same content


def test_only_retrieval_results_are_training_sets(fs: lm.FeatureStore) -> None:
    with pytest.raises(InvalidInput, match="carries no feature lineage"):
        fs.log_training_set(pd.DataFrame({"a": [1]}), "x")


def test_sql_and_snapshot_sources_are_lineage_nodes(fs: lm.FeatureStore) -> None:
    entity = lm.Entity("customer_id")
    fs.apply([lm.FeatureView("snap", entity, frame([1.0, 2.0]), "ts", ["score"])])
    digest = fs.get_view("snap").view.source.spec()["digest"]
    assert ("feature_view", "snap/1", "derived_from", "blob", digest) in edges(fs)
