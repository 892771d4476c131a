"""``loopml datasets``: every command, tables for people and JSON for scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def frame(n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(n),
            "amount": [float(i) + shift for i in range(n)],
            "plan": ["free", "pro"] * (n // 2),
        }
    )


@pytest.fixture
def versions(sqlite_client: lm.Client, tmp_path: Path) -> Path:
    with lm.start_run("cli", capture=False):
        lm.log_dataset(frame(10), "orders", description="first")
    lm.log_dataset(frame(12, shift=5), "orders", derived_from=["orders@1"])
    path = tmp_path / "new.parquet"
    frame(8, shift=100).to_parquet(path)
    return path


def test_list_and_show(versions: Path) -> None:
    listed = json.loads(invoke("datasets", "list", "--json"))
    assert [(d["name"], d["versions"], d["rows"]) for d in listed] == [("orders", 2, 12)]
    assert "orders" in invoke("datasets", "list")
    shown = json.loads(invoke("datasets", "show", "orders", "--json"))
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert {e["relation"] for e in shown["versions"][0]["lineage"]} == {"used", "derived_from"}
    table = invoke("datasets", "show", "orders")
    assert "used by" in table
    assert "orders/1" in table
    one = json.loads(invoke("datasets", "show", "orders@1", "--json"))
    assert one["num_rows"] == 10
    assert one["profile"]["columns"][0]["name"] == "id"
    assert "amount" in invoke("datasets", "show", "orders@latest")


def test_diff(versions: Path) -> None:
    body = json.loads(invoke("datasets", "diff", "orders@1", "2", "--json"))
    assert body["changed"] == ["id", "amount", "plan"]
    assert body["old_rows"] == 10
    assert "orders@1 -> orders@2" in invoke("datasets", "diff", "orders")


def test_validate_gate_and_schema(versions: Path, tmp_path: Path) -> None:
    out = invoke("datasets", "validate", str(versions), "--against", "orders@1", code=1)
    assert "above the maximum 9" in out
    body = json.loads(invoke("datasets", "validate", "orders@1", "--against", "orders@1", "--json"))
    assert body["passed"] is True
    schema_file = tmp_path / "schema.yaml"
    shown = json.loads(
        invoke(
            "datasets",
            "schema",
            "orders",
            "--infer",
            "1",
            "--margin",
            "0.5",
            "-o",
            str(schema_file),
        )
    )
    assert shown["columns"][1]["name"] == "amount"
    assert schema_file.is_file()
    invoke("datasets", "validate", str(versions), "--schema", str(schema_file), code=1)


def test_log_respects_the_attached_schema_and_exports(versions: Path, tmp_path: Path) -> None:
    invoke("datasets", "schema", "orders", "--infer", "orders@1")
    result = runner.invoke(app, ["datasets", "log", str(versions), "orders"])
    assert result.exit_code != 0
    logged = json.loads(
        invoke("datasets", "log", str(versions), "orders", "--no-validate", "--json")
    )
    assert logged["version"] == 3
    assert "orders@3" in invoke("datasets", "log", str(versions), "orders", "--no-validate")
    invoke("datasets", "schema", "orders", "--remove")
    assert "has no schema" in invoke("datasets", "schema", "orders")
    invoke("datasets", "export", "orders@3", str(tmp_path / "out.csv"), "-c", "id")
    assert list(pd.read_csv(tmp_path / "out.csv").columns) == ["id"]
    invoke("datasets", "export", "orders@3", str(tmp_path / "out.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), frame(8, 100))
    invoke("datasets", "export", "orders@3", str(tmp_path / "out.txt"), code=2)


def test_profile_a_file(sqlite_client: lm.Client, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    frame(6).to_csv(path, index=False)
    body = json.loads(invoke("datasets", "profile", str(path), "--json"))
    assert body["num_rows"] == 6
    assert body["columns"][1]["max"] == 5.0
    assert "plan" in invoke("datasets", "profile", str(path))
    assert lm.list_datasets() == []
