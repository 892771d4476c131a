"""``lm.*`` dataset functions: the glue between runs and dataset versions."""

from __future__ import annotations

import pandas as pd
import pytest

import loopml as lm
from loopml.errors import NoActiveRun


def frame(n: int = 10) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n), "y": [float(i) / 2 for i in range(n)]})


def test_log_and_load_inside_a_run_records_lineage(client: lm.Client) -> None:
    with lm.start_run("data", capture=False) as producer:
        out = lm.log_dataset(frame(), "features", relation="produced")
    with lm.start_run("data", capture=False) as consumer:
        loaded = lm.load_dataset("features")
        inputs = lm.log_dataset(frame(5), "labels")
    pd.testing.assert_frame_equal(loaded, frame())
    datasets = client.datasets
    assert [(r, v.ref) for r, v in datasets.versions_of_run(producer.id)] == [
        ("produced", "features@1")
    ]
    assert [(r, v.ref) for r, v in datasets.versions_of_run(consumer.id)] == [
        ("used", "features@1"),
        ("used", "labels@1"),
    ]
    assert out.run_id == producer.id
    assert inputs.run_id == consumer.id


def test_outside_a_run_nothing_is_linked(client: lm.Client) -> None:
    version = lm.log_dataset(frame(), "plain")
    assert version.run_id is None
    assert lm.load_dataset("plain@1").shape == (10, 2)
    assert client.datasets.version_links(version) == []
    with pytest.raises(NoActiveRun, match="needs a run"):
        lm.use_dataset("plain")


def test_use_dataset_and_explicit_runs(client: lm.Client) -> None:
    version = lm.log_dataset(frame(), "shared")
    with lm.start_run("data", capture=False) as run:
        assert lm.use_dataset("shared", 1) == version
    lm.load_dataset("shared", run="manual-run")
    lm.log_dataset(frame(), "shared", run=run, relation="produced")
    relations = {(e.src_id, e.relation) for e in client.datasets.version_links(version)}
    assert relations == {(run.id, "used"), ("manual-run", "used"), (run.id, "produced")}


def test_listing_and_profiles(client: lm.Client) -> None:
    lm.log_dataset(frame(3), "b")
    lm.log_dataset(frame(4), "a")
    lm.log_dataset(frame(5), "a")
    assert [(d.name, d.latest_version) for d in lm.list_datasets()] == [("a", 2), ("b", 1)]
    assert [v.num_rows for v in lm.list_dataset_versions("a")] == [4, 5]
    assert lm.get_dataset_version("a").version == 2
    profile = lm.profile_data(frame())
    assert isinstance(profile, lm.DatasetProfile)
    assert profile["x"].max == 9
