"""Dataset versions on each dialect: log, re-log, list, load, find, lineage."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from loopml.data import DatasetNotFound, Datasets, content_digest
from loopml.errors import InvalidInput
from loopml.store.lineage import Node
from loopml.store.tables import core, data as d

if TYPE_CHECKING:
    from pathlib import Path

    from loopml.store import Store


@pytest.fixture
def datasets(store: Store) -> Datasets:
    return Datasets(store)


def customers(n: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "spend": rng.normal(100, 20, n),
            "city": rng.choice(["berlin", "paris", "rome"], n),
            "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
        }
    )


def test_log_creates_numbered_versions_and_relogging_returns_the_same(datasets) -> None:
    first = datasets.log_dataset(customers(), "customers", description="initial")
    again = datasets.log_dataset(customers(), "customers", description="ignored")
    second = datasets.log_dataset(customers(seed=1), "customers")
    back = datasets.log_dataset(customers(), "customers")
    assert (first.version, again.version, second.version, back.version) == (1, 1, 2, 1)
    assert again == first
    assert first.description == "initial"
    assert first.digest != second.digest
    assert [v.version for v in datasets.list_versions("customers")] == [1, 2]
    (info,) = datasets.list_datasets()
    assert (info.name, info.latest_version, info.num_versions) == ("customers", 2, 2)


def test_version_records_schema_rows_digests_and_profile(datasets) -> None:
    frame = customers()
    version = datasets.log_dataset(frame, "customers", metadata={"owner": "crm", "k": [1, 2]})
    assert version.num_rows == 100
    assert version.num_columns == 5
    assert list(version.columns) == ["customer_id", "age", "spend", "city", "signup"]
    assert version.columns["city"] == "string"
    assert version.columns["signup"] == "timestamp"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert version.digest == content_digest(table).digest
    assert dict(version.column_digests) == dict(content_digest(table).columns)
    assert version.profile["age"].min == int(frame.age.min())
    assert version.profile["city"].distinct_count == 3
    assert version.metadata == {"owner": "crm", "k": [1, 2]}
    assert version.size_bytes > 0
    assert version.to_dict()["profile"]["num_rows"] == 100


def test_same_content_in_another_dataset_shares_the_blob(datasets, store) -> None:
    a = datasets.log_dataset(customers(), "a")
    b = datasets.log_dataset(customers(), "b")
    assert a.blob_digest == b.blob_digest
    assert (a.name, b.name) == ("a", "b")
    with store.db.read() as conn:
        count = conn.execute(select(func.count()).select_from(core.blobs)).scalar()
    assert count == 1
    assert {v.name for v in datasets.find_versions(a.digest[:10])} == {"a", "b"}


def test_load_by_number_latest_digest_and_ref(datasets) -> None:
    one = datasets.log_dataset(customers(10), "customers")
    two = datasets.log_dataset(customers(20), "customers")
    pd.testing.assert_frame_equal(datasets.load_dataset("customers", 1), customers(10))
    assert len(datasets.load_dataset("customers")) == 20
    assert len(datasets.load_dataset("customers", "latest")) == 20
    assert len(datasets.load_dataset("customers", one.digest[:8])) == 10
    assert len(datasets.load_dataset("customers@2")) == 20
    assert datasets.get_version("customers", "2") == two
    assert datasets.get_version(f"customers@{two.digest}") == two
    arrow = datasets.load_dataset("customers", 1, columns=["age"], output="arrow")
    assert isinstance(arrow, pa.Table)
    assert arrow.column_names == ["age"]


def test_loaded_version_hashes_to_its_digest(datasets) -> None:
    version = datasets.log_dataset(customers(), "customers")
    table = datasets.load_dataset("customers", output="arrow")
    assert content_digest(table).digest == version.digest
    path = datasets.dataset_path(version)
    assert pq.read_metadata(path).num_rows == 100


def test_unknown_names_versions_and_columns_say_what_exists(datasets) -> None:
    datasets.log_dataset(customers(), "customers")
    with pytest.raises(DatasetNotFound, match=r"no dataset 'nope'.*customers"):
        datasets.get_version("nope")
    with pytest.raises(DatasetNotFound, match="has no version 7"):
        datasets.get_version("customers", 7)
    with pytest.raises(InvalidInput, match="invalid dataset version 'x'"):
        datasets.get_version("customers", "x")
    with pytest.raises(DatasetNotFound, match=r"no column\(s\) \['zip'\]"):
        datasets.load_dataset("customers", columns=["zip"])
    with pytest.raises(InvalidInput, match="pass one of them"):
        datasets.get_version("customers@1", 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame(), "no columns"),
        ([1, 2], "cannot log a dataset from a list"),
        ("/no/such/file.parquet", "no file or folder"),
        (pd.DataFrame({1: [1]}), "column names must be strings"),
        (pd.DataFrame({"x": [1, "a"]}), "cannot convert the DataFrame"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(datasets, store, data, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        datasets.log_dataset(data, "bad")
    with store.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(d.datasets)).scalar() == 0


def test_bad_names_metadata_and_relations_are_refused(datasets) -> None:
    frame = customers(5)
    with pytest.raises(InvalidInput, match="invalid dataset name"):
        datasets.log_dataset(frame, "has space")
    with pytest.raises(InvalidInput, match="JSON-ready"):
        datasets.log_dataset(frame, "ok", metadata={"x": object()})
    with pytest.raises(InvalidInput, match="relation must be"):
        datasets.log_dataset(frame, "ok", run_id="r1", relation="ate")  # type: ignore[arg-type]


def test_log_from_files_and_folders(datasets, tmp_path: Path) -> None:
    frame = customers(30)
    frame.to_parquet(tmp_path / "c.parquet")
    frame.to_csv(tmp_path / "c.csv", index=False)
    folder = tmp_path / "parts"
    for i, part in enumerate([frame.iloc[:10], frame.iloc[10:20], frame.iloc[20:]]):
        (folder / f"region={i}").mkdir(parents=True)
        part.to_parquet(folder / f"region={i}" / "part.parquet")
    (folder / "_SUCCESS").write_text("")
    from_parquet = datasets.log_dataset(tmp_path / "c.parquet", "files")
    assert from_parquet.source == str((tmp_path / "c.parquet").resolve())
    assert datasets.log_dataset(frame, "files").version == from_parquet.version
    from_csv = datasets.log_dataset(str(tmp_path / "c.csv"), "csv")
    assert from_csv.num_rows == 30
    assert from_csv.columns["city"] == "string"
    from_folder = datasets.log_dataset(folder, "folder")
    assert from_folder.num_rows == 30
    assert "region" in from_folder.columns
    assert sorted(datasets.load_dataset("folder").region.unique().tolist()) == [0, 1, 2]


def test_named_index_is_kept_and_range_index_dropped(datasets) -> None:
    frame = customers(5).set_index("customer_id")
    version = datasets.log_dataset(frame, "indexed")
    assert "customer_id" in version.columns
    pd.testing.assert_frame_equal(datasets.load_dataset("indexed"), frame)
    plain = datasets.log_dataset(customers(5), "plain")
    assert "__index_level_0__" not in plain.columns


def test_lineage_edges_for_runs_and_upstream(datasets) -> None:
    raw = datasets.log_dataset(customers(), "raw")
    clean = datasets.log_dataset(
        customers().dropna(),
        "clean",
        derived_from=["raw@1", Node("feature_view", "activity/2"), ("file", "/data/x.csv")],
        run_id="run1",
        relation="produced",
    )
    datasets.link_run("run2", clean, "used")
    datasets.link_run("run2", clean, "used")  # idempotent
    links = datasets.version_links(clean)
    triples = {(e.src_id, e.relation, e.dst_type, e.dst_id) for e in links}
    assert triples == {
        ("clean/1", "derived_from", "dataset_version", "raw/1"),
        ("clean/1", "derived_from", "feature_view", "activity/2"),
        ("clean/1", "derived_from", "file", "/data/x.csv"),
        ("run1", "produced", "dataset_version", "clean/1"),
        ("run2", "used", "dataset_version", "clean/1"),
    }
    assert clean.run_id == "run1"
    assert [(r, v.ref) for r, v in datasets.versions_of_run("run2")] == [("used", "clean@1")]
    assert {e.src_id for e in datasets.version_links(raw)} == {"clean/1"}
    with pytest.raises(DatasetNotFound):
        datasets.log_dataset(customers(), "x", derived_from=["missing@1"])
    with pytest.raises(InvalidInput, match="derived_from entries"):
        datasets.log_dataset(customers(), "x", derived_from=[42])  # type: ignore[list-item]


def test_concurrent_logging_of_new_content_gives_distinct_versions(datasets) -> None:
    errors: list[BaseException] = []

    def log(seed: int) -> None:
        try:
            datasets.log_dataset(customers(20, seed=seed % 3), "busy")
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=log, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = datasets.list_versions("busy")
    assert [v.version for v in versions] == [1, 2, 3]
    assert len({v.digest for v in versions}) == 3


def test_row_numbering_left_by_filtering_is_not_content(datasets) -> None:
    frame = customers(10)
    filtered = frame[frame.age > 0]
    shifted = frame.iloc[2:]
    version = datasets.log_dataset(filtered, "f")
    assert "__index_level_0__" not in version.columns
    assert datasets.log_dataset(frame, "f").version == version.version
    assert datasets.log_dataset(shifted.reset_index(drop=True), "s").digest == (
        datasets.log_dataset(shifted, "s").digest
    )
    dated = frame.set_index(pd.date_range("2024-01-01", periods=10, freq="D"))
    assert "__index_level_0__" in datasets.log_dataset(dated, "dated").columns
