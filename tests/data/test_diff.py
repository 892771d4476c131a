"""Diffs between versions: schema, content and profile changes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import loopml as lm
from loopml.data import diff_profiles, profile
from loopml.errors import InvalidInput


def base(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "amount": rng.normal(100, 10, n),
            "plan": rng.choice(["free", "pro"], n),
            "note": ["x"] * n,
        }
    )


def test_diff_of_two_versions_names_every_kind_of_change(client: lm.Client) -> None:
    old = lm.log_dataset(base(), "orders")
    frame = base()
    frame["amount"] = frame["amount"] + 30
    frame["plan"] = frame["plan"].replace("pro", "team")
    frame["id"] = frame["id"].astype("int32")
    frame = frame.drop(columns=["note"]).assign(region="eu")
    new = lm.log_dataset(frame, "orders")
    diff = lm.diff_datasets("orders@1", "orders@2")
    assert not diff.same_content
    assert diff.schema_changed
    assert diff.added == ["region"]
    assert diff.removed == ["note"]
    assert diff.type_changes == ["id"]
    assert set(diff.changed) == {"id", "amount", "plan"}
    amount = next(c for c in diff.columns if c.name == "amount")
    assert amount.content_changed is True
    assert amount.stats["mean"].delta == pytest.approx(30)
    assert amount.mean_shift == pytest.approx(30 / old.profile["amount"].std)
    plan = next(c for c in diff.columns if c.name == "plan")
    assert plan.new_values == ("team",)
    assert plan.missing_values == ("pro",)
    assert "removed: note" in diff.summary()
    json.dumps(diff.to_dict(), allow_nan=False)
    assert lm.diff_datasets("orders").new == new.ref  # two newest
    assert lm.diff_datasets("orders@1").new == "orders@2"  # against the latest


def test_same_content_and_unchanged_columns(client: lm.Client) -> None:
    lm.log_dataset(base(), "a")
    lm.log_dataset(base(), "b")
    same = lm.diff_datasets("a@1", "b@1")
    assert same.same_content
    assert same.summary() == "a@1 and b@1 hold the same content"
    frame = base()
    frame.loc[0, "amount"] = 0.0
    lm.log_dataset(frame, "a")
    diff = lm.diff_datasets("a")
    assert diff.changed == ["amount"]
    assert [c.status for c in diff.columns if c.name != "amount"] == ["unchanged"] * 3


def test_reordered_columns_are_a_schema_change() -> None:
    frame = base()
    diff = diff_profiles(
        profile(frame),
        profile(frame[["plan", "id", "amount", "note"]]),
        old_digests={},
        new_digests={},
    )
    assert diff.order_changed
    assert diff.schema_changed
    assert diff.changed == []


def test_diffing_a_single_version_dataset_says_so(client: lm.Client) -> None:
    lm.log_dataset(base(), "single")
    with pytest.raises(InvalidInput, match="one version"):
        lm.diff_datasets("single")
