"""Hot swap, canary and shadow on a live server."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from loopml.store.predlog.reading import read_predictions as predictions

from .conftest import make_model

ROW = [1.0, 2.0, 3.0, 4.0]


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
def test_hot_swap_under_load_fails_no_request(serve, source):
    for version in range(2, 7):
        source.add(make_model(version=version))
    server = serve(poll_interval=0.05)
    stop = threading.Event()
    failures: list[str] = []
    versions: Counter[int] = Counter()
    lock = threading.Lock()

    def traffic():
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    reply = client.post("/predict", json={"instances": [ROW]})
                except httpx.HTTPError as err:
                    failures.append(f"{type(err).__name__}: {err!r}")
                    continue
                if reply.status_code != 200 or reply.json()["predictions"] != [1]:
                    failures.append(reply.text)
                    continue
                with lock:
                    versions[reply.json()["model_version"]] += 1

    workers = [threading.Thread(target=traffic) for _ in range(16)]
    for worker in workers:
        worker.start()
    try:
        # Each version must answer some traffic before the alias moves on; waiting on the
        # answers (not a fixed sleep) keeps the test honest on a loaded machine.
        _wait(lambda: versions[1] > 0, timeout=30)
        for version in range(2, 7):  # the alias moves 5 times
            time.sleep(0.3)
            source.aliases[("churn", "champion")] = version
            _wait(lambda v=version: server.built.routes.primary.current.version == v)
            _wait(lambda v=version: versions[v] > 0, timeout=30)
        time.sleep(0.3)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert failures == []
    assert set(versions) == {1, 2, 3, 4, 5, 6}
    assert sum(versions.values()) > 100
    loads = server.built.metrics.loads
    assert sum(n for (_, _, _, outcome), n in loads.items() if outcome == "loaded") == 6


def test_a_broken_new_version_keeps_the_old_one_serving(serve, source):
    source.add(make_model(version=2))
    source.broken.add(("churn", 2))
    server = serve(poll_interval=0.05)
    source.aliases[("churn", "champion")] = 2
    _wait(lambda: any(k[3] == "failed" for k in server.built.metrics.loads))
    reply = server.client.post("/predict", json={"instances": [ROW]}).json()
    assert reply["model_version"] == 1
    assert 'outcome="failed"' in server.client.get("/metrics").text


def test_unknown_model_or_alias_fails_at_start(serve):
    from loopml.errors import NotFound

    with pytest.raises(NotFound):
        serve("fraud@champion")
    with pytest.raises(NotFound):
        serve("churn@nothing")


def test_canary_by_key_is_stable_and_near_the_share(serve, source):
    source.add(make_model(version=2), alias="challenger")
    server = serve(canary="churn@challenger:30")
    c = server.client
    seen = {}
    for i in range(300):
        key = f"customer-{i}"
        reply = c.post("/predict", json={"instances": [ROW]}, headers={"x-routing-key": key})
        seen[key] = reply.json()["model_version"]
    again = c.post("/predict", json={"instances": [ROW], "routing_key": "customer-7"}).json()[
        "model_version"
    ]
    assert again == seen["customer-7"]
    share = sum(v == 2 for v in seen.values()) / len(seen)
    assert 0.2 < share < 0.4
    v2 = c.post(
        "/v2/models/churn/infer",
        json={
            "inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": ROW}],
            "parameters": {"routing_key": "customer-7"},
        },
    ).json()
    assert v2["model_version"] == str(seen["customer-7"])
    assert c.get("/v2/models/churn").json()["versions"] == ["1", "2"]


def test_canary_random_mode(serve, source):
    source.add(make_model(version=2), alias="challenger")
    server = serve(canary="churn@challenger:50", canary_mode="random")
    versions = {
        server.client.post(
            "/predict", json={"instances": [ROW]}, headers={"x-routing-key": "a"}
        ).json()["model_version"]
        for _ in range(60)
    }
    assert versions == {1, 2}


def test_shadow_scores_a_copy_that_is_logged_never_returned(serve, source):
    source.add(make_model(version=2, sign=-1.0), alias="challenger")
    server = serve(shadow="churn@challenger")
    ids = server.client.post("/predict", json={"instances": [ROW, ROW]}).json()["prediction_ids"]
    server.built.predlog.flush()
    frame = predictions(source.log, "churn")
    answered = frame[~frame["shadow"]]
    shadowed = frame[frame["shadow"]]
    assert sorted(answered["prediction_id"]) == sorted(ids)
    assert sorted(shadowed["prediction_id"]) == sorted(ids)
    assert set(answered["prediction"]) == {1.0}
    assert set(shadowed["prediction"]) == {0.0}
    assert set(shadowed["model_version"]) == {2}


def test_a_failing_shadow_never_affects_callers(serve, source):
    source.add(make_model(version=2, fail=False), alias="challenger")
    server = serve(shadow="churn@challenger")
    source.models[("churn", 2)].fail = True
    for _ in range(5):
        assert server.client.post("/predict", json={"instances": [ROW]}).status_code == 200
    server.built.predlog.flush()
    assert server.built.metrics.shadow_errors == 5
    assert "loopml_serving_shadow_errors_total" in server.client.get("/metrics").text
