"""Schemas attached to datasets gate new versions; stored versions validate in place."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

import loopml as lm
from loopml.data import ColumnSchema, DataValidationError, Expectation, Schema
from loopml.errors import InvalidInput
from loopml.store.tables import data as d

SCHEMA = Schema(
    [ColumnSchema("age", "int", nullable=False, min=0, max=130), ColumnSchema("city", "string")],
    expectations=[Expectation.row_count(min=2)],
)


def test_attached_schema_rejects_bad_versions_and_writes_nothing(client: lm.Client) -> None:
    lm.set_dataset_schema("people", SCHEMA)
    assert client.datasets.get_schema("people") == SCHEMA
    good = lm.log_dataset(pd.DataFrame({"age": [30, 40], "city": ["a", "b"]}), "people")
    assert good.metadata["validation"] == {
        "schema_digest": SCHEMA.digest,
        "passed": True,
        "checks": 8,
    }
    bad = pd.DataFrame({"age": [30, -4, 200], "city": ["a", "b", "c"]})
    with pytest.raises(DataValidationError, match="below the minimum 0") as caught:
        lm.log_dataset(bad, "people")
    assert caught.value.report.failed_row_count == 2
    with client.store.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(d.dataset_versions)).scalar() == 1
    forced = lm.log_dataset(bad, "people", validate=False)
    assert forced.version == 2
    assert "validation" not in forced.metadata
    assert not lm.validate("people@2").passed
    assert lm.validate(forced, SCHEMA.__class__(columns=[ColumnSchema("age")])).passed
    lm.set_dataset_schema("people", None)
    assert client.datasets.get_schema("people") is None


def test_explicit_schema_and_validation_of_stored_versions(client: lm.Client) -> None:
    version = lm.log_dataset(pd.DataFrame({"age": [1, 2, 3]}), "kids")
    with pytest.raises(InvalidInput, match="has no schema"):
        lm.validate("kids@1")
    report = lm.validate(version, Schema([ColumnSchema("age", max=2)]))
    assert report.target == "kids@1"
    assert report.failed_row_count == 1
    with pytest.raises(DataValidationError):
        lm.validate("kids@latest", Schema([ColumnSchema("age", max=2)]), raise_on_failure=True)
    with pytest.raises(DataValidationError):
        lm.log_dataset(
            pd.DataFrame({"age": [5]}), "kids", schema=Schema([ColumnSchema("age", max=2)])
        )
    with pytest.raises(InvalidInput, match="needs schema="):
        lm.validate(pd.DataFrame({"age": [1]}))
    assert lm.validate({"age": [1]}, Schema([ColumnSchema("age", "int")])).passed
