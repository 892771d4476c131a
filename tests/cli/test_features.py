"""``loopml features`` commands, end to end on a project folder."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from loopml.cli.main import app
from loopml.features.errors import InvalidDefinition
from tests.features.conftest import activity  # noqa: F401 - fixture

if TYPE_CHECKING:
    from pathlib import Path

    import loopml as lm

runner = CliRunner()

DEFINITIONS = """
import loopml as lm

customer = lm.Entity("customer_id", description="a customer")
activity = lm.FeatureView("activity", customer, "activity.parquet", "ts",
                          ["orders", "spend", "tier"], ttl={ttl!r})
"""


def invoke(*args: str) -> object:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def project(sqlite_client: lm.Client, activity: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    folder = activity.parent
    (folder / "features.py").write_text(DEFINITIONS.format(ttl=None))
    monkeypatch.chdir(folder)
    return folder


def test_apply_list_show(project: Path) -> None:
    dry = invoke("features", "apply", "--dry-run", "--json")
    assert json.loads(dry.stdout)["dry_run"] is True
    applied = invoke("features", "apply", "--json")
    changes = json.loads(applied.stdout)["changes"]
    assert [(c["name"], c["action"]) for c in changes] == [
        ("customer_id", "created"),
        ("activity", "created"),
    ]
    (project / "features.py").write_text(DEFINITIONS.format(ttl="7d"))
    table = invoke("features", "apply", str(project / "features.py"))
    assert "updated" in table.stdout
    assert "ttl_s" in table.stdout
    listed = json.loads(invoke("features", "list", "--json").stdout)
    assert listed["views"][0]["version"] == 2
    assert listed["entities"][0]["description"] == "a customer"
    shown = json.loads(invoke("features", "show", "activity", "--version", "1", "--json").stdout)
    assert shown["version"] == 1
    assert shown["versions"] == [1, 2]
    assert "orders" in invoke("features", "show", "activity").stdout


def test_materialize_get_check(project: Path) -> None:
    invoke("features", "apply")
    assert "never" in invoke("features", "list").stdout
    done = json.loads(invoke("features", "materialize", "--json").stdout)["materializations"]
    assert done[0]["entities"] == 3
    listed = json.loads(invoke("features", "list", "--json").stdout)["views"][0]
    assert listed["materialized_until"] is not None
    ranged = invoke(
        "features", "materialize", "activity", "--start", "2024-01-01", "--end", "2024-02-01"
    )
    assert "range" in ranged.stdout
    got = json.loads(
        invoke("features", "get", "-e", "customer_id=1,2", "-f", "activity:orders", "--json").stdout
    )
    assert got == {"customer_id": [1, 2], "orders": [2, 4]}
    assert (
        "orders" in invoke("features", "get", "-e", "customer_id=1", "-f", "activity:orders").stdout
    )
    checked = invoke("features", "check", "activity", "--json")
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["ok"] is True
    assert "3 match" in invoke("features", "check", "activity").stdout


def test_check_exits_1_on_differences(project: Path, sqlite_client: lm.Client) -> None:
    invoke("features", "apply")
    invoke("features", "materialize")
    fs = sqlite_client.features
    view = fs.get_view("activity")
    fs.online.drop(view.namespace)
    result = invoke("features", "check", "activity")
    assert result.exit_code == 1
    assert "3 missing" in result.stdout


def test_bad_definitions_fail_with_a_message(project: Path) -> None:
    (project / "features.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(InvalidDefinition, match="RuntimeError: boom"):
        invoke("features", "apply")
    (project / "features.py").write_text("x = 1\n")
    with pytest.raises(InvalidDefinition, match=r"declare no lm\.Entity or lm\.FeatureView"):
        invoke("features", "apply")
    (project / "features.py").unlink()
    with pytest.raises(InvalidDefinition, match="no feature definitions found"):
        invoke("features", "apply")


def test_definitions_folder(project: Path) -> None:
    folder = project / "features"
    folder.mkdir()
    (project / "features.py").rename(folder / "activity.py")
    (folder / "_helpers.py").write_text("raise RuntimeError('private modules are skipped')\n")
    assert "created" in invoke("features", "apply", "features").stdout
