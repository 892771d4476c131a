"""The model server over real HTTP (uvicorn on 127.0.0.1): requests, errors, V2, metrics."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from loopml import _registry

from .conftest import COLUMNS

ROW = [1.0, 2.0, 3.0, 4.0]
NEG = [-1.0, -2.0, -3.0, -4.0]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": [ROW, NEG]},
        {"inputs": [ROW, NEG]},
        {"records": [dict(zip(COLUMNS, ROW, strict=True)), dict(zip(COLUMNS, NEG, strict=True))]},
        [dict(zip(COLUMNS, ROW, strict=True)), dict(zip(COLUMNS, NEG, strict=True))],
        {"columns": list(COLUMNS[::-1]), "data": [ROW[::-1], NEG[::-1]]},
        {"dataframe_split": {"columns": list(COLUMNS), "data": [ROW, NEG]}},
        {
            "dataframe_records": [
                dict(zip(COLUMNS, ROW, strict=True)),
                dict(zip(COLUMNS, NEG, strict=True)),
            ]
        },
        {"inputs": {c: [a, b] for c, a, b in zip(COLUMNS, ROW, NEG, strict=True)}},
    ],
)
def test_predict_accepts_every_shape(serve, body):
    server = serve()
    reply = server.client.post("/predict", json=body)
    assert reply.status_code == 200, reply.text
    out = reply.json()
    assert out["predictions"] == [1, 0]
    assert out["model_name"] == "churn"
    assert out["model_version"] == 1
    assert len(set(out["prediction_ids"])) == 2


def test_probabilities_on_request_and_mlflow_path(serve):
    server = serve()
    out = server.client.post(
        "/invocations", json={"instances": [ROW], "probabilities": True}
    ).json()
    assert out["probabilities"][0][1] == pytest.approx(1 / (1 + np.exp(-10)))


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"records": [{"f0": 1, "f1": 2, "f2": 3}]}, 422, "f3"),
        ({"records": [{"f0": 1, "f1": 2, "f2": 3, "f3": "high"}]}, 422, "f3"),
        ({"records": [{"f0": 1, "f1": 2, "f2": 3, "f3": 4, "zip": 1}]}, 422, "zip"),
        ({"instances": [[1, 2, 3]]}, 422, "instances[0]"),
        ({"instances": []}, 422, "instances"),
        ({"rows": [[1, 2, 3, 4]]}, 400, "the body must be"),
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty"),
    ],
)
def test_bad_requests_are_4xx_naming_the_problem_and_the_server_keeps_serving(
    serve, body, status, needle
):
    server = serve()
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = server.client.post("/predict", content=content)
    assert reply.status_code == status
    assert needle in reply.json()["message"]
    assert server.client.post("/predict", json={"instances": [ROW]}).status_code == 200


def test_oversized_body_is_413(serve):
    server = serve(max_body_mb=0.001)
    reply = server.client.post("/predict", json={"instances": [ROW] * 200})
    assert reply.status_code == 413
    assert "limit" in reply.json()["message"]


def test_model_failure_is_a_json_error_not_a_crash(serve, source):
    server = serve()
    source.models[("churn", 1)].fail = True
    reply = server.client.post("/predict", json={"instances": [ROW]})
    assert reply.status_code == 500
    assert reply.json()["error"] == "PredictionFailed"
    source.models[("churn", 1)].fail = False
    assert server.client.post("/predict", json={"instances": [ROW]}).status_code == 200


def test_unknown_paths_are_404_and_docs_are_served(serve):
    server = serve()
    assert server.client.get("/nope").status_code == 404
    assert server.client.get("/docs").status_code == 200
    spec = server.client.get("/openapi.json").json()
    assert "/v2/models/{name}/infer" in spec["paths"]
    info = server.client.get("/").json()
    assert info["routes"][0]["model_version"] == 1


# ---------------------------------------------------------------------- Open Inference V2
def _v2(data, shape, name="input-0", datatype="FP64", **extra):
    return {"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}], **extra}


def test_v2_health_metadata_and_ready(serve):
    server = serve()
    c = server.client
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/churn/ready"):
        reply = c.get(path)
        assert reply.status_code == 200
        assert reply.content == b""
    assert c.get("/v2").json()["extensions"] == ["binary_tensor_data"]
    meta = c.get("/v2/models/churn").json()
    assert meta["name"] == "churn"
    assert meta["versions"] == ["1"]
    assert meta["inputs"][0] == {"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}
    assert c.get("/v2/models/other").status_code == 404
    assert "error" in c.get("/v2/models/churn/versions/9").json()


@pytest.mark.parametrize("version", ["\u00b2", "\u0663", "1" * 40, "1x"])
def test_a_version_that_is_not_plain_digits_is_a_404_not_a_500(serve, version):
    c = serve().client
    for reply in (
        c.get(f"/v2/models/churn/versions/{version}"),
        c.get(f"/v2/models/churn/versions/{version}/ready"),
        c.post(f"/v2/models/churn/versions/{version}/infer", json=_v2([ROW], [1, 4])),
    ):
        assert reply.status_code == 404
        assert "is not a number" in reply.json()["error"]


def test_v2_infer_matrix_flat_and_nested_and_per_column(serve):
    server = serve()
    c = server.client
    flat = c.post("/v2/models/churn/infer", json=_v2(ROW + NEG, [2, 4], id="req-7")).json()
    assert flat["id"] == "req-7"
    assert flat["model_version"] == "1"
    predict = flat["outputs"][0]
    assert predict == {"name": "predict", "shape": [2], "datatype": "INT64", "data": [1, 0]}
    nested = c.post("/v2/models/churn/versions/1/infer", json=_v2([ROW, NEG], [2, 4])).json()
    assert nested["outputs"][0]["data"] == [1, 0]
    columns = {
        "inputs": [
            {"name": n, "shape": [2], "datatype": "FP64", "data": [a, b]}
            for n, a, b in zip(COLUMNS, ROW, NEG, strict=True)
        ],
        "outputs": [{"name": "predict_proba"}],
    }
    proba = c.post("/v2/models/churn/infer", json=columns).json()["outputs"]
    assert [o["name"] for o in proba] == ["predict_proba"]
    assert proba[0]["shape"] == [2, 2]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (_v2(ROW, [1, 3]), "needs 3 values"),
        (_v2(ROW[:3], [1, 3]), "has 3 columns"),
        (_v2(["a", "b", "c", "d"], [1, 4], datatype="BYTES"), "column 'f0'"),
        (_v2(["a", "b", "c", "d"], [1, 4]), "FP64 but its data holds strings"),
        (_v2(ROW, [1, 4], datatype="FP99"), "datatype 'FP99'"),
        (_v2(ROW, [1, 4], outputs=[{"name": "nope"}]), "unknown output 'nope'"),
        ({"inputs": []}, "inputs"),
    ],
)
def test_v2_errors_follow_the_spec_body(serve, body, needle):
    server = serve()
    reply = server.client.post("/v2/models/churn/infer", json=body)
    assert reply.status_code == 422
    assert needle in reply.json()["error"]


def test_v2_tritonclient_with_binary_tensors(serve):
    httpclient = pytest.importorskip("tritonclient.http")
    server = serve()
    client = httpclient.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    try:
        assert client.is_server_live()
        assert client.is_server_ready()
        assert client.is_model_ready("churn")
        assert client.get_model_metadata("churn")["inputs"][0]["shape"] == [-1, 4]
        x = np.array([ROW, NEG], dtype=np.float64)
        for binary in (True, False):
            tensor = httpclient.InferInput("input-0", list(x.shape), "FP64")
            tensor.set_data_from_numpy(x, binary_data=binary)
            outputs = [
                httpclient.InferRequestedOutput("predict", binary_data=binary),
                httpclient.InferRequestedOutput("prediction_id", binary_data=binary),
            ]
            result = client.infer("churn", [tensor], outputs=outputs)
            assert result.as_numpy("predict").tolist() == [1, 0]
            assert len(result.as_numpy("prediction_id")) == 2
        default = client.infer("churn", [tensor])  # no outputs: all, in binary
        assert default.as_numpy("predict").tolist() == [1, 0]
    finally:
        client.close()


# ---------------------------------------------------------------------- metrics, feedback
class _Collector:
    def __init__(self, store):
        self.store = store

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("plugin_gauge", "from a registered collector", value=7)


def make_collector(store):
    return _Collector(store)


def test_metrics_expose_requests_errors_latency_batches_loads_and_plugins(serve, monkeypatch):
    monkeypatch.setitem(
        _registry.BUILTIN,
        "metrics_collectors",
        {"test": "tests.serving.test_server:make_collector", "broken": "nope.nothing:x"},
    )
    server = serve()
    c = server.client
    c.post("/predict", json={"instances": [ROW]})
    c.post("/predict", json={"instances": [[1]]})
    text = c.get("/metrics").text
    assert (
        'loopml_serving_requests_total{code="200",deployment="churn",endpoint="predict",'
        'model="churn",model_version="1"} 1.0' in text
    )
    assert 'error="RequestInvalid"' in text
    assert "loopml_serving_request_latency_seconds_bucket" in text
    assert 'loopml_serving_batch_size_bucket{deployment="churn",le="1.0"' in text
    assert (
        'loopml_serving_model_loads_total{deployment="churn",model="churn",model_version="1",'
        'outcome="loaded"' in text
    )
    assert "process_cpu_seconds_total" in text
    assert "plugin_gauge 7.0" in text


def test_feedback_single_and_list_lands_in_the_feedback_stream(serve, source):
    server = serve()
    c = server.client
    ids = c.post("/predict", json={"instances": [ROW, NEG]}).json()["prediction_ids"]
    assert c.post("/feedback", json={"prediction_id": ids[0], "label": 1}).json() == {"accepted": 1}
    rows = [{"prediction_id": ids[1], "label": 0}]
    assert c.post("/feedback", json={"feedback": rows}).json() == {"accepted": 1}
    bad = c.post("/feedback", json=[{"label": 1}])
    assert bad.status_code == 422
    assert "prediction_id" in bad.json()["message"]
    server.built.predlog.flush()
    table = source.log.read("feedback")
    assert sorted(table["prediction_id"].to_pylist()) == sorted(ids)
    assert set(table["deployment"].to_pylist()) == {"churn"}


def test_concurrent_requests_are_batched_and_answered_correctly(serve, source):
    model = source.models[("churn", 1)]
    model.delay_s = 0.005
    server = serve()
    rows = [[float(i - 20)] * 4 for i in range(40)]

    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    with httpx.Client(base_url=server.url, limits=limits, timeout=30) as client:

        def call(row):
            return client.post("/predict", json={"instances": [row]}).json()["predictions"][0]

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(call, rows * 3))
    assert answers == [int(r[0] > 0) for r in rows] * 3
    assert len(model.calls) < len(answers)
    assert max(model.calls) > 1


def test_a_running_server_bounds_background_threads_gil_turns_and_restores_it(serve):
    # the prediction-log writer and the alias poller may keep the GIL at most 0.5 ms
    # while a request waits (CPython's default 5 ms put a whole flush in front of it)
    import sys

    from loopml.serving.server import SWITCH_INTERVAL_S

    before = sys.getswitchinterval()
    server = serve()
    assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL_S)
    server.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
