"""Experiments, the run table, a run, run comparison and artifact previews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from loopml.auth import Principal
from loopml.errors import InvalidFilter, InvalidInput
from loopml.server.ui import charts
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

if TYPE_CHECKING:
    from loopml.tracking.entities import RunInfo

router = APIRouter(prefix="/ui", include_in_schema=False)
RunsRead = Annotated[Principal, Depends(permit("runs:read"))]
ExperimentsRead = Annotated[Principal, Depends(permit("experiments:read"))]
PAGE_SIZE = 50
MAX_CHARTS = 12
MAX_COMPARE = 10
PREVIEW_BYTES = 64 * 1024
DEFAULT_COLUMNS = 8


@router.get("/")
def home() -> Response:
    """Open the experiments page."""
    return RedirectResponse("/ui/experiments", status_code=303)


@router.get("/experiments")
def experiments(request: Request, principal: ExperimentsRead) -> Response:
    """List experiments with run counts."""
    runs = client_of(request).runs
    found = runs.list_experiments()
    rows = [(e, runs.count_runs(e.id)) for e in found]
    return render(
        request, "experiments.html", {"active": "experiments", "rows": rows}, principal=principal
    )


@router.get("/runs")
def run_table(
    request: Request,
    principal: RunsRead,
    experiment: str | None = None,
    filter: str | None = None,
    order: str | None = None,
    columns: Annotated[list[str] | None, Query()] = None,
    page: str | None = None,
) -> Response:
    """The run table: search with the filter language, sort by any column, choose columns."""
    runs = client_of(request).runs
    error = None
    found: list[RunInfo] = []
    token = None
    try:
        page_found = runs.search_runs(
            experiment or None,
            filter or None,
            order or None,
            limit=PAGE_SIZE,
            page_token=page or None,
            output="list",
        )
        found, token = list(page_found), page_found.next_page_token
    except (InvalidFilter, InvalidInput) as err:
        error = str(err)
    available = _available_columns(found)
    chosen = [c for c in (columns or []) if c] or available[:DEFAULT_COLUMNS]
    context = {
        "active": "runs",
        "runs": found,
        "experiment": experiment or "",
        "experiments": runs.list_experiments(),
        "filter": filter or "",
        "order": order or "",
        "columns": chosen,
        "available": sorted(set(available) | set(chosen)),
        "next_link": None if token is None else _page_link(request, token),
        "error": error,
        "cell": _cell,
        "sort_link": lambda column: _sort_link(request, column, order),
    }
    status = 422 if error else 200
    return render(request, "runs.html", context, principal=principal, status_code=status)


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str, principal: RunsRead) -> Response:
    """One run: parameters, metric plots, artifacts, provenance and lineage."""
    client = client_of(request)
    run = client.runs.get_run(client.runs.resolve_run_id(run_id))
    plots = []
    for key in sorted(run.metrics)[:MAX_CHARTS]:
        history = client.runs.get_metric_history(run.id, key, output="list")
        line = charts.series(key, [m.step for m in history], [m.value for m in history])
        plots.append(charts.chart(key, [line]))
    context = {
        "active": "runs",
        "run": run,
        "plots": plots,
        "more_metrics": max(0, len(run.metrics) - MAX_CHARTS),
        "datasets": client.datasets.versions_of_run(run.id),
        "children": client.runs.search_runs(
            None, f"parent_id = '{run.id}'", limit=50, output="list"
        ),
    }
    return render(request, "run.html", context, principal=principal)


@router.get("/runs/{run_id}/artifacts")
def artifacts(request: Request, run_id: str, principal: RunsRead, prefix: str = "") -> Response:
    """The artifact browser of a run (one folder level at a time)."""
    run_id = client_of(request).runs.resolve_run_id(run_id)
    listed = client_of(request).runs.list_artifacts(run_id, prefix)
    folders, files = _folder_view(listed, prefix)
    context = {"run_id": run_id, "prefix": prefix.strip("/"), "folders": folders, "files": files}
    return render(request, "_artifacts.html", context, principal=principal)


@router.get("/runs/{run_id}/preview")
def preview(request: Request, run_id: str, path: str, principal: RunsRead) -> Response:
    """Preview one artifact: text and JSON as text, images inline, tables as a table."""
    info, data = _artifact(request, run_id, path)
    kind = _preview_kind(info.media_type, path)
    context: dict[str, Any] = {"info": info, "run_id": run_id, "kind": kind}
    if kind == "text":
        context["text"] = data[:PREVIEW_BYTES].decode("utf-8", errors="replace")
        context["truncated"] = len(data) > PREVIEW_BYTES
    elif kind == "table":
        frame = client_of(request).runs.load_artifact(run_id, path)
        context["table"] = frame.head(50) if hasattr(frame, "head") else None
    return render(request, "_preview.html", context, principal=principal)


@router.get("/runs/{run_id}/raw")
def raw(request: Request, run_id: str, path: str, principal: RunsRead) -> Response:
    """Download one artifact's bytes."""
    info, data = _artifact(request, run_id, path)
    name = path.rsplit("/", 1)[-1].replace('"', "")
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(data, media_type=info.media_type, headers=headers)


@router.get("/compare")
def compare(
    request: Request,
    principal: RunsRead,
    run: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Compare runs: metric curves overlaid and a parameter diff."""
    client = client_of(request)
    ids = list(dict.fromkeys(run or []))[:MAX_COMPARE]
    if len(ids) < 2:
        raise InvalidInput("pick at least two runs to compare (tick them in the run table)")
    found = [client.runs.get_run(client.runs.resolve_run_id(i)) for i in ids]
    keys = sorted({k for r in found for k in r.metrics})[:MAX_CHARTS]
    plots = []
    for key in keys:
        lines = []
        for r in found:
            if key in r.metrics:
                history = client.runs.get_metric_history(r.id, key, output="list")
                xs, ys = [m.step for m in history], [m.value for m in history]
                lines.append(charts.series(r.name or r.id[:8], xs, ys))
        plots.append(charts.chart(key, lines))
    params = sorted({k for r in found for k in r.params})
    rows = [(k, [r.params.get(k) for r in found]) for k in params]
    metric_keys = sorted({k for r in found for k in r.metrics})
    metric_rows = [(k, [r.metrics.get(k) for r in found]) for k in metric_keys]
    context = {
        "active": "runs",
        "runs": found,
        "plots": plots,
        "param_rows": rows,
        "metric_rows": metric_rows,
    }
    return render(request, "compare.html", context, principal=principal)


def _artifact(request: Request, run_id: str, path: str) -> tuple[Any, bytes]:
    client = client_of(request)
    run_id = client.runs.resolve_run_id(run_id)
    matches = [i for i in client.runs.list_artifacts(run_id, path) if i.path == path.strip("/")]
    if not matches:
        raise InvalidInput(f"run {run_id} has no artifact {path!r}; pick one in the browser")
    return matches[0], client.store.blobs.get_bytes(matches[0].digest)


def _preview_kind(media_type: str, path: str) -> str:
    if media_type.startswith("image/"):
        return "image"
    if "parquet" in media_type or path.endswith(".parquet"):
        return "table"
    textual = ("text/", "application/json", "application/x-yaml", "application/yaml")
    if media_type.startswith(textual) or path.endswith((".txt", ".json", ".yaml", ".csv", ".md")):
        return "text"
    return "binary"


def _folder_view(listed: list[Any], prefix: str) -> tuple[list[str], list[Any]]:
    base = prefix.strip("/")
    folders: set[str] = set()
    files = []
    for info in listed:
        rest = info.path[len(base) :].lstrip("/") if base else info.path
        if not rest:
            files.append(info)
        elif "/" in rest:
            folders.add((f"{base}/" if base else "") + rest.split("/", 1)[0])
        else:
            files.append(info)
    return sorted(folders), files


def _available_columns(found: list[RunInfo]) -> list[str]:
    metrics = sorted({k for r in found for k in r.metrics})
    params = sorted({k for r in found for k in r.params})
    return [f"metrics.{k}" for k in metrics] + [f"params.{k}" for k in params]


def _cell(run: RunInfo, column: str) -> object:
    kind, _, key = column.partition(".")
    sources: dict[str, dict[str, Any]] = {
        "metrics": run.metrics,
        "params": run.params,
        "tags": run.tags,
    }
    return sources.get(kind, {}).get(key)


def _sort_link(request: Request, column: str, current: str | None) -> str:
    descending = f"{column} desc"
    target = column if current == descending else descending
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"order", "page"}]
    params.append(("order", target))
    return "/ui/runs?" + urlencode(params)


def _page_link(request: Request, token: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", token))
    return "/ui/runs?" + urlencode(params)
