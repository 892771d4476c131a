"""The model server's OpenAPI document is complete, and fuzzing it finds no server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402

from .conftest import float_signature  # noqa: E402

MIXED = ("age", "income", "member", "plan")


@pytest.fixture
def mixed_source(source):
    from .conftest import Column, Signature

    sig = Signature(
        (Column("age", "int64"), Column("income", "float64"), Column("member", "bool"),
         Column("plan", "string"))
    )  # fmt: skip

    class Mixed:
        name, version, signature, flavor = "mixed", 1, sig, "test"

        def predict_array(self, x):
            import numpy as np

            return np.array([float(len(str(row[3]))) for row in x])

        def predict_proba_array(self, x):
            return None

    source.add(Mixed(), alias="champion")
    return source


def test_every_operation_documents_its_body_and_errors(serve):
    spec = serve().client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "200" in operation["responses"], (method, path)
            if method == "post":
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                assert body, (method, path)
                for status in ("400", "413", "415", "422"):
                    assert status in operation["responses"], (method, path, status)
    predict = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    records = predict["schema"]["anyOf"][0]["properties"]["records"]["items"]
    assert records["required"] == list(float_signature().inputs and ["f0", "f1", "f2", "f3"])
    assert spec["paths"]["/feedback"]["post"]["responses"]["404"]


def _fuzz(server, examples: int) -> list[str]:
    schema = schemathesis.openapi.from_dict(server.client.get("/openapi.json").json())
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        takes_input = operation.body or list(operation.iter_parameters())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if takes_input else 1]:
            _check_operation(server, operation, mode, examples, errors)
    return errors


def _check_operation(server, operation, mode, examples, errors):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(base_url=server.url, timeout=20)
        if response.status_code >= 500:
            errors.append(f"{mode.value} {operation.label}: {response.status_code} "
                          f"{response.text[:200]} <- {case.body!r:.200}")  # fmt: skip
        elif mode is GenerationMode.POSITIVE and response.status_code < 300:
            operation.validate_response(response)

    try:
        check()
    except Unsatisfiable:
        # nothing invalid fits this operation (a path parameter without a slash is any
        # text); positive data must always be possible
        if mode is GenerationMode.POSITIVE:
            raise
    except Exception as err:
        raise AssertionError(f"{mode.value} {operation.label}") from err


@pytest.mark.slow
def test_fuzzing_the_numeric_model_server_finds_no_server_error(serve):
    assert _fuzz(serve(), examples=10) == []


@pytest.mark.slow
def test_fuzzing_a_mixed_type_model_server_finds_no_server_error(serve, mixed_source):
    assert _fuzz(serve("mixed@champion"), examples=10) == []


def test_wrong_method_unknown_path_and_content_type_are_json_errors(serve):
    c = serve().client
    wrong = c.get("/predict")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
    assert wrong.json()["error"] == "MethodNotAllowed"
    assert c.get("/nowhere").status_code == 404
    form = c.post("/predict", content=b"a=1", headers={"content-type": "text/plain"})
    assert (form.status_code, form.json()["field"]) == (415, "content-type")
    assert c.get("/docs").headers["content-type"].startswith("text/html")


def test_v2_metadata_lists_only_inputs_the_server_accepts(serve, mixed_source):
    c = serve().client
    meta = c.get("/v2/models/churn").json()
    assert [t["name"] for t in meta["inputs"]] == ["input-0"]
    matrix = {"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}
    assert c.post("/v2/models/churn/infer", json={"inputs": [matrix]}).status_code == 200
    mixed = serve("mixed@champion").client
    meta = mixed.get("/v2/models/mixed").json()
    inputs = [
        {"name": t["name"], "datatype": t["datatype"], "shape": [1],
         "data": [{"INT64": 41, "FP64": 1.5, "BOOL": True, "BYTES": "gold"}[t["datatype"]]]}
        for t in meta["inputs"]
    ]  # fmt: skip
    assert [t["name"] for t in inputs] == list(MIXED)
    assert mixed.post("/v2/models/mixed/infer", json={"inputs": inputs}).status_code == 200
