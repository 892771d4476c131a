"""A refused hot swap raises a monitoring alert (the client's hook); the next swap resolves it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import loopml as lm
from loopml.serving.server import ServeConfig

pytest.importorskip("sklearn")


def _log(columns: list[str]) -> int:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(100, len(columns))), columns=columns)
    y = (x[columns[0]] > 0).astype(int)
    with lm.start_run("swap-alerts") as run:
        ref = run.log_model(LogisticRegression().fit(x, y), "model", example=x.head(3))
    return int(lm.register_model(ref, "churn").version)


def test_a_refused_swap_opens_an_alert_and_the_next_swap_resolves_it(sqlite_client) -> None:
    first = _log(["a", "b"])
    lm.set_alias("churn", "champion", first)
    built = sqlite_client.serving.build("churn@champion", poll_interval=0)
    assert lm.list_alerts() == []

    other = _log(["c", "d", "e"])  # another input signature: the server must refuse it
    lm.set_alias("churn", "champion", other, force=True)
    built.swapper.check()
    assert built.routes.primary.current.version == first
    (alert,) = lm.list_alerts()
    assert (alert.monitor, alert.rule, alert.status) == (
        "serving/churn", "swap_refused:primary", "open",
    )  # fmt: skip
    assert f"to version {other} (signature)" in alert.message
    assert f"still serving version {first}" in alert.message
    built.swapper._failed.clear()  # retry at once (normally after retry_after seconds)
    built.swapper.check()  # refused again: the open alert is refreshed, not duplicated
    assert len(lm.list_alerts(status=None)) == 1

    same = _log(["a", "b"])
    lm.set_alias("churn", "champion", same, force=True)
    built.swapper.check()
    assert built.routes.primary.current.version == same
    assert lm.list_alerts() == []
    (resolved,) = lm.list_alerts(status=None)
    assert resolved.status == "resolved"
    kinds = [e.kind for e in sqlite_client.monitors.alert_events(monitor="serving/churn")]
    assert kinds == ["opened", "resolved"]


def test_the_client_hands_the_hooks_down_and_unknown_events_are_refused(sqlite_client) -> None:
    config = sqlite_client.serving.config("churn@champion")
    assert config.swap_hooks["refused"] == "loopml.monitoring.serving_alerts:swap_refused"
    with pytest.raises(lm.errors.InvalidInput, match="unknown swap hook"):
        ServeConfig("churn@champion", swap_hooks={"exploded": "x:y"})
