"""UI pages over HTTP (no browser): data shown, bad input answered with 4xx pages."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from loopml.server import auth, ui
from loopml.server.ui import charts, dag
from loopml.server.ui.static_files import STATIC
from loopml.server.ui.templating import TEMPLATES

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def http(sqlite_client):
    app = FastAPI()
    auth.install(app, sqlite_client)
    ui.install(app, sqlite_client)
    with TestClient(app, client=("127.0.0.1", 40000)) as found:
        yield found


def _run(client, name: str, **params):
    with client.runs.start_run("exp", name, params=params, capture=False) as run:
        for step in range(5):
            run.log_metrics({"loss": 1 / (step + 1)}, step=step)
        run.log_text("hello artifact", "notes/a.txt")
    return run


def test_run_table_search_sort_and_columns(sqlite_client, http) -> None:
    for i in range(3):
        _run(sqlite_client, f"r{i}", lr=i)
    page = http.get("/ui/runs", params={"filter": "params.lr != '1'", "order": "name"})
    assert page.status_code == 200
    assert page.text.index(">r0<") < page.text.index(">r2<")
    assert ">r1<" not in page.text
    narrowed = http.get("/ui/runs", params=[("columns", "params.lr")])
    assert "metrics.loss</a>" not in narrowed.text
    assert "params.lr</a>" in narrowed.text


def test_run_table_pages(sqlite_client, http) -> None:
    with sqlite_client.runs.start_run("exp", "first", capture=False):
        pass
    for i in range(50):
        with sqlite_client.runs.start_run("exp", f"n{i}", capture=False):
            pass
    page = http.get("/ui/runs")
    assert ">first<" not in page.text
    link = page.text.split('id="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    assert ">first<" in http.get(link).text


def test_bad_filter_and_unknown_run_are_4xx_pages(http) -> None:
    bad = http.get("/ui/runs", params={"filter": "metrics.x >"})
    assert bad.status_code == 422
    assert "search-error" in bad.text
    missing = http.get("/ui/runs/" + "0" * 32)
    assert missing.status_code == 404
    assert "error-message" in missing.text
    assert http.get("/ui/compare", params={"run": "x"}).status_code == 422
    assert http.get("/ui/deployments", params={"window": "2y"}).status_code == 422


def test_run_page_artifacts_and_preview(sqlite_client, http) -> None:
    run = _run(sqlite_client, "r", lr=1)
    page = http.get(f"/ui/runs/{run.id}")
    assert '"loss"' in page.text
    listing = http.get(f"/ui/runs/{run.id}/artifacts").text
    assert "notes/" in listing
    inner = http.get(f"/ui/runs/{run.id}/artifacts", params={"prefix": "notes"}).text
    assert "a.txt" in inner
    preview = http.get(f"/ui/runs/{run.id}/preview", params={"path": "notes/a.txt"})
    assert "hello artifact" in preview.text
    raw = http.get(f"/ui/runs/{run.id}/raw", params={"path": "notes/a.txt"})
    assert raw.content == b"hello artifact"


def test_empty_store_pages_say_what_to_do(http) -> None:
    for path, hint in [
        ("/ui/experiments", "No experiments yet"),
        ("/ui/models", "No registered models"),
        ("/ui/pipelines", "No pipelines registered"),
        ("/ui/features", "No feature views"),
        ("/ui/deployments", "No deployments"),
        ("/ui/monitors", "No monitors"),
        ("/ui/audit", "Nothing recorded"),
    ]:
        page = http.get(path)
        assert page.status_code == 200, path
        assert hint in page.text, path


def test_chart_series_sorted_and_finite() -> None:
    line = charts.series("a", [3, 1, 2, 1], [3.0, float("nan"), 2.0, 1.0])
    assert line == {"label": "a", "x": [1, 2, 3], "y": [1.0, 2.0, 3.0]}
    assert charts.series("b", [1], [float("inf")])["y"] == [None]


def test_dag_layout_places_steps_after_their_inputs() -> None:
    found = dag.layout({"load": (), "a": ("load",), "b": ("load",), "join": ("a", "b")}, {})
    x = {b.name: b.x for b in found.boxes}
    assert x["load"] < x["a"] == x["b"] < x["join"]
    assert len(found.edges) == 4


def test_every_ui_file_is_in_the_wheel() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["loopml"]
    package = ROOT / "src" / "loopml"
    files = [p for p in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")] if p.is_file()]
    assert len(files) > 20
    for path in files:
        relative = str(path.relative_to(package))
        assert any(fnmatch.fnmatch(relative, g) for g in globs), relative
