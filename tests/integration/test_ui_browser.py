"""Every UI page in a real headless Chromium (Debian's, driven by Playwright) over uvicorn.

Each page must open without console errors or failed requests, show its data, and leave a
screenshot in ``test-artifacts/ui/``. Skipped unless LOOPML_TEST_CHROMIUM names the browser.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi import FastAPI

import loopml as lm
from loopml.server import auth, ui
from tests.server.ui.seed import Seeded, seed

if TYPE_CHECKING:
    from collections.abc import Iterator

CHROMIUM = os.environ.get("LOOPML_TEST_CHROMIUM")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="LOOPML_TEST_CHROMIUM is not set")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class Served:
    def __init__(self, app: FastAPI, seeded: Seeded, url: str) -> None:
        self.app, self.seeded, self.url = app, seeded, url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("ui-browser")
    client = lm.configure(
        home=str(folder / "home"), db_url=f"sqlite:///{folder}/loopml.db",
        artifacts=str(folder / "artifacts"),
    )  # fmt: skip
    seeded = seed(client, folder)
    app = FastAPI()
    auth.install(app, client)
    ui.install(app, client)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Served(app, seeded, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)
    sock.close()
    client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Watched:
    """A page plus the console errors, page errors and failed requests seen on it."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def open(self, path: str) -> object:
        self.page.goto(self.base + path)
        self.settle()
        return self.page

    def settle(self) -> None:
        self.page.wait_for_selector("body[data-ready='1']")
        self.page.wait_for_load_state("networkidle")
        expected = self.page.locator("script.chart-data").count()
        if expected:
            self.page.wait_for_function(
                f"document.querySelectorAll('.uplot').length >= {expected} || "
                "document.querySelectorAll('.chart p.muted').length > 0"
            )

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, served: Served) -> Iterator[Watched]:
    found = Watched(browser, served.url)
    yield found
    found.close()
    assert found.problems == []


def _pages(seeded: Seeded) -> dict[str, tuple[str, list[str]]]:
    first, second, _ = seeded.run_ids
    return {
        "experiments": ("/ui/experiments", ["churn", "churn-training"]),
        "runs": ("/ui/runs?experiment=churn", ["run-0", "run-2", "metrics.auc"]),
        "run": (f"/ui/runs/{first}", ["run-0", "loss", "model", "gbm", "python", "config.json"]),
        "compare": (f"/ui/compare?run={first}&run={second}", ["Compare 2 runs", "lr", "0.01"]),
        "models": ("/ui/models", ["churn", "champion → v2"]),
        "model": ("/ui/models/churn", ["@champion", "accuracy: pass", "promotion 1", "sklearn"]),
        "pipelines": ("/ui/pipelines", ["numbers", "SUCCEEDED"]),
        "pipeline_run": (
            f"/ui/pipelines/runs/{seeded.pipeline_run_id}",
            ["load_numbers", "fit", "DAG"],
        ),
        "features": ("/ui/features", ["activity", "orders_7d", "customer_id"]),
        "deployments": ("/ui/deployments", ["churn", "latency p95", "v1", "v2", "80.0 %"]),
        "monitors": ("/ui/monitors", ["churn", "drift.share > 0.3"]),
        "monitor": (
            "/ui/monitors/churn",
            ["drift statistic per column", "labelled rows per window"],
        ),
        "audit": ("/ui/audit", ["Audit log"]),
    }


PAGE_NAMES = [
    "experiments", "runs", "run", "compare", "models", "model", "pipelines", "pipeline_run",
    "features", "deployments", "monitors", "monitor", "audit",
]  # fmt: skip


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_opens_cleanly_and_shows_its_data(name: str, served: Served, watched) -> None:
    path, texts = _pages(served.seeded)[name]
    page = watched.open(path)
    body = page.inner_text("body")
    for text in texts:
        assert text in body, (name, text)
    assert "single local user" in body
    assert watched.shot(name).stat().st_size > 10_000


def test_charts_are_drawn(served: Served, watched) -> None:
    page = watched.open(f"/ui/runs/{served.seeded.run_ids[0]}")
    assert page.locator(".uplot").count() == 2  # auc and loss
    page = watched.open("/ui/monitors/churn")
    assert page.locator(".uplot").count() >= 4
    assert page.locator("#alert-timeline .mark").count() >= 1


def test_run_table_searches_sorts_and_chooses_columns(served: Served, watched) -> None:
    page = watched.open("/ui/runs?experiment=churn")
    page.fill("input[name=filter]", "params.model = 'gbm'")
    page.click("#run-search button[type=submit]")
    watched.settle()
    names = page.locator("#runs-table tbody td:nth-child(2) a").all_inner_texts()
    assert sorted(names) == ["run-0", "run-1"]
    page.click("#runs-table th a:text('metrics.loss')")
    watched.settle()
    assert "order=metrics.loss+desc" in page.url
    page.click("details.columns summary")
    page.uncheck("input[name=columns][value='metrics.auc']")
    watched.settle()
    headers = page.locator("#runs-table th").all_inner_texts()
    assert not any("metrics.auc" in h for h in headers)
    assert any("params.lr" in h for h in headers)
    watched.shot("runs-searched")


def test_bad_filter_says_what_is_wrong(served: Served, browser) -> None:
    found = Watched(browser, served.url)
    try:
        found.open("/ui/runs?filter=metrics.auc+%3E")
        assert "expected" in found.page.inner_text("#search-error")
        assert [p for p in found.problems if "422" not in p] == []
    finally:
        found.close()


def test_compare_from_the_run_table(served: Served, watched) -> None:
    page = watched.open("/ui/runs?experiment=churn")
    page.check("input[aria-label='select run-0']")
    page.check("input[aria-label='select run-1']")
    page.click("text=Compare selected")
    page.wait_for_url("**/ui/compare?**")
    watched.settle()
    assert page.locator(".uplot").count() >= 2
    assert page.locator("#param-diff tr.diff").count() >= 1


def test_artifact_browser_previews(served: Served, watched) -> None:
    page = watched.open(f"/ui/runs/{served.seeded.run_ids[0]}")
    page.click("#artifact-list a:text('notes/')")
    page.wait_for_selector("#artifact-list a.artifact:text('readme.txt')")
    page.click("#artifact-list a.artifact:text('readme.txt')")
    page.wait_for_selector("#preview-text")
    assert "learning rate 0.1" in page.inner_text("#preview-text")
    page.click("#artifact-list a:text('up')")
    page.click("#artifact-list a.artifact:text('reference.parquet')")
    page.wait_for_selector("#preview table")
    assert "income" in page.inner_text("#preview")
    watched.shot("run-artifact-preview")


def test_step_logs_load_on_click(served: Served, watched) -> None:
    page = watched.open(f"/ui/pipelines/runs/{served.seeded.pipeline_run_id}")
    page.click("#steps a:text('show')")
    page.wait_for_selector("#log-text")
    assert "loading 50 rows" in page.inner_text("#log-text")


def test_login_flow_and_audit_page(served: Served, browser) -> None:
    client = served.app.state.ui_client
    client.auth.add_user("ada", password="correct horse", roles=["admin"])
    served.app.state.authorizer._enabled = None
    found = Watched(browser, served.url)
    try:
        page = found.page
        page.goto(served.url + "/ui/models")
        assert "/ui/login" in page.url
        page.fill("input[name=user]", "ada")
        page.fill("input[name=password]", "correct horse")
        page.click("button[type=submit]")
        found.settle()
        assert page.url.endswith("/ui/models")
        assert "ada" in page.inner_text("header")
        found.shot("models-logged-in")
        page.goto(served.url + "/ui/audit")
        found.settle()
        served.app.state.audit_writer.flush()
        page.reload()
        found.settle()
        assert "auth:login" in page.inner_text("#audit")
        found.shot("audit")
        page.click("text=log out")
        page.wait_for_url("**/ui/login")
        assert found.problems == []
    finally:
        found.close()
        client.auth.delete_user("ada")
        served.app.state.authorizer._enabled = None
