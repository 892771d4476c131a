"""``loopml demo`` tells the whole story and is re-runnable on the same home."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app

KEYS = {"stages", "requests", "failed_requests", "promotions", "rollbacks",
        "blocked_challengers", "quality_before", "quality_after"}  # fmt: skip


def test_the_demo_promotes_blocks_and_rolls_back_with_no_failed_request(sqlite_client) -> None:
    result = CliRunner().invoke(app, ["demo", "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert set(summary) >= KEYS
    assert summary["error"] is None
    assert (summary["promotions"], summary["rollbacks"], summary["blocked_challengers"]) == (
        1,
        1,
        1,
    )
    assert summary["failed_requests"] == 0
    assert summary["requests"] > 50
    assert summary["quality_before"] - summary["quality_during"] > 20
    assert summary["quality_after"] > summary["quality_during"] + 20
    assert [s["name"] for s in summary["stages"]][:3] == [
        "deploy the champion", "traffic before drift", "drift -> detection",
    ]  # fmt: skip
    history = lm.alias_history("demo-churn", "champion")
    assert any("promoted by loop demo" in (h.reason or "") for h in history)


def test_the_demo_runs_again_on_the_same_home(sqlite_client) -> None:
    first = lm.run_demo(acts=1)
    events = [f"{e.kind}: {e.message}" for e in lm.get_client().loops.events("demo")]
    assert first.promotions == 1, "\n".join(events[-6:])
    second = lm.run_demo(acts=1)
    assert first.error is None, first.error
    assert second.error is None, second.error
    # the same story: same outcome, same stages, no failed request; versions count on
    outcome = ("promotions", "rollbacks", "blocked_challengers", "failed_requests")
    assert [getattr(second, k) for k in outcome] == [getattr(first, k) for k in outcome]
    assert [s["name"] for s in second.stages] == [s["name"] for s in first.stages]
    assert first.failed_requests == 0
    assert second.champion_before > first.champion_after
