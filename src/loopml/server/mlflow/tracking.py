"""``/api/2.0/mlflow/{experiments,runs,metrics}``: MLflow's tracking API over loopml runs."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from loopml._utils.digits import is_digits
from loopml.errors import ExperimentNotFound, InvalidInput
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.mlflow import convert, filters
from loopml.server.mlflow.messages import (
    CreateExperiment,
    CreateRun,
    DeleteTag,
    Empty,
    ExperimentId,
    ExperimentIdOut,
    ExperimentOut,
    ExperimentsOut,
    LogBatch,
    LoggedModelsOut,
    LogMetric,
    LogParam,
    MetricsOut,
    RunId,
    RunInfoOut,
    RunOut,
    RunsOut,
    SearchExperiments,
    SearchLoggedModels,
    SearchRuns,
    SetTag,
    UpdateExperiment,
    UpdateRun,
)
from loopml.server.routers._shared import name_or_id
from loopml.tracking import records

if TYPE_CHECKING:
    from loopml.client import Client
    from loopml.tracking.entities import Experiment

router = APIRouter(prefix="/api/2.0/mlflow", tags=["mlflow"])
ERRORS = error_responses(400, 404, 409)
_HIDDEN_TAGS = {convert.RUN_NAME_TAG}


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _experiment(client: Client, experiment_id: str) -> Experiment:
    if experiment_id == convert.DEFAULT_EXPERIMENT_ID:
        return client.runs.set_experiment(client.runs.default_experiment)
    if not is_digits(experiment_id):
        raise ExperimentNotFound(f"no experiment with id {experiment_id!r}; ids are numbers")
    return client.runs.get_experiment(name_or_id(experiment_id))


# ---------------------------------------------------------------------- experiments
@router.post(
    "/experiments/create",
    response_model=ExperimentIdOut,
    dependencies=[Depends(requires("experiments:write"))],
    responses=ERRORS,
)
def create_experiment(request: Request, body: CreateExperiment) -> ExperimentIdOut:
    """Create an experiment."""
    note = next((t.value for t in body.tags if t.key == "mlflow.note.content"), None)
    created = _client(request).runs.create_experiment(body.name, note)
    return ExperimentIdOut(experiment_id=str(created.id))


@router.get(
    "/experiments/get",
    response_model=ExperimentOut,
    dependencies=[Depends(requires("experiments:read"))],
    responses=ERRORS,
)
def get_experiment(
    request: Request, experiment_id: Annotated[str, Query(max_length=64)]
) -> ExperimentOut:
    """Return an experiment by id (``0`` is the default experiment)."""
    found = _experiment(_client(request), experiment_id)
    return ExperimentOut(experiment=convert.experiment(found))


@router.get(
    "/experiments/get-by-name",
    response_model=ExperimentOut,
    dependencies=[Depends(requires("experiments:read"))],
    responses=ERRORS,
)
def get_experiment_by_name(
    request: Request, experiment_name: Annotated[str, Query(max_length=256)]
) -> ExperimentOut:
    """Return an experiment by name."""
    found = _client(request).runs.get_experiment(experiment_name)
    return ExperimentOut(experiment=convert.experiment(found))


@router.post(
    "/experiments/search",
    response_model=ExperimentsOut,
    dependencies=[Depends(requires("experiments:read"))],
    responses=ERRORS,
)
def search_experiments(request: Request, body: SearchExperiments) -> ExperimentsOut:
    """Search experiments (filters on ``name`` with ``=``, ``!=``, ``LIKE``, ``ILIKE``)."""
    include_deleted = str(body.view_type) in {"2", "3", "DELETED_ONLY", "ALL"}
    found = _client(request).runs.list_experiments(include_deleted=include_deleted)
    matched = [e for e in found if filters.experiment_matches(body.filter, e.name)]
    offset = _offset(body.page_token)
    page = matched[offset : offset + body.max_results]
    more = offset + body.max_results < len(matched)
    return ExperimentsOut(
        experiments=[convert.experiment(e) for e in page],
        next_page_token=_token(offset + body.max_results) if more else None,
    )


@router.post(
    "/experiments/update",
    response_model=Empty,
    dependencies=[Depends(requires("experiments:write"))],
    responses=ERRORS,
)
def update_experiment(request: Request, body: UpdateExperiment) -> Empty:
    """Rename an experiment."""
    client = _client(request)
    client.runs.rename_experiment(_experiment(client, body.experiment_id).id, body.new_name)
    return Empty()


@router.post(
    "/experiments/delete",
    response_model=Empty,
    dependencies=[Depends(requires("experiments:delete"))],
    responses=ERRORS,
)
def delete_experiment(request: Request, body: ExperimentId) -> Empty:
    """Mark an experiment deleted."""
    client = _client(request)
    client.runs.delete_experiment(_experiment(client, body.experiment_id).id)
    return Empty()


# ---------------------------------------------------------------------- runs
@router.post(
    "/runs/create",
    response_model=RunOut,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def create_run(request: Request, body: CreateRun) -> RunOut:
    """Start a run; MLflow's system tags become loopml run fields where they map."""
    client = _client(request)
    experiment = _experiment(client, body.experiment_id or "0")
    tags = {t.key: t.value for t in body.tags}
    new = records.NewRun(
        experiment=experiment.id,
        name=body.run_name or tags.get(convert.RUN_NAME_TAG) or None,
        user=body.user_id or tags.get(convert.USER_TAG) or "unknown",
        parent_id=tags.get(convert.PARENT_TAG) or None,
        source=tags.get("mlflow.source.name"),
        start_time=body.start_time,
    )
    run_id = records.create_run(client.store, new)
    kept = {k: v for k, v in tags.items() if k not in _HIDDEN_TAGS}
    if kept:
        records.log_batch(client.store, run_id, (), None, kept)
    return RunOut(run=convert.run(client.runs.get_run(run_id)))


@router.get(
    "/runs/get",
    response_model=RunOut,
    dependencies=[Depends(requires("runs:read"))],
    responses=ERRORS,
)
def get_run(
    request: Request,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    run_uuid: Annotated[str | None, Query(max_length=64)] = None,
) -> RunOut:
    """Return a run with its latest metrics, params and tags."""
    return RunOut(run=convert.run(_client(request).runs.get_run(_run_id(run_id, run_uuid))))


@router.post(
    "/runs/update",
    response_model=RunInfoOut,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def update_run(request: Request, body: UpdateRun) -> RunInfoOut:
    """Set a run's status (ending it), end time and/or name."""
    client = _client(request)
    run_id = _run_id(body.run_id, body.run_uuid)
    status = body.status if body.status not in (None, "SCHEDULED") else None
    records.update_run(
        client.store, run_id, status=status, end_time=body.end_time, name=body.run_name
    )
    return RunInfoOut(run_info=convert.run_info(client.runs.get_run(run_id)))


@router.post(
    "/runs/delete",
    response_model=Empty,
    dependencies=[Depends(requires("runs:delete"))],
    responses=ERRORS,
)
def delete_run(request: Request, body: RunId) -> Empty:
    """Mark a run deleted."""
    _client(request).runs.delete_run(body.run_id)
    return Empty()


@router.post(
    "/runs/restore",
    response_model=Empty,
    dependencies=[Depends(requires("runs:delete"))],
    responses=ERRORS,
)
def restore_run(request: Request, body: RunId) -> Empty:
    """Restore a deleted run."""
    _client(request).runs.restore_run(body.run_id)
    return Empty()


@router.post(
    "/runs/log-metric",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def log_metric(request: Request, body: LogMetric) -> Empty:
    """Log one metric point."""
    point = (body.key, body.value, body.step, body.timestamp)
    run_id = _run_id(body.run_id, body.run_uuid)
    records.log_batch(_client(request).store, run_id, [point], require_running=False)
    return Empty()


@router.post(
    "/runs/log-parameter",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def log_param(request: Request, body: LogParam) -> Empty:
    """Log one param (a param never changes value)."""
    run_id = _run_id(body.run_id, body.run_uuid)
    records.log_batch(
        _client(request).store, run_id, params={body.key: body.value}, require_running=False
    )
    return Empty()


@router.post(
    "/runs/set-tag",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def set_tag(request: Request, body: SetTag) -> Empty:
    """Set a tag (``mlflow.runName`` renames the run)."""
    client = _client(request)
    run_id = _run_id(body.run_id, body.run_uuid)
    if body.key == convert.RUN_NAME_TAG:
        records.update_run(client.store, run_id, name=body.value)
    else:
        records.log_batch(client.store, run_id, tags={body.key: body.value}, require_running=False)
    return Empty()


@router.post(
    "/runs/delete-tag",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def delete_tag(request: Request, body: DeleteTag) -> Empty:
    """Delete a tag."""
    records.delete_tag(_client(request).store, body.run_id, body.key)
    return Empty()


@router.post(
    "/runs/log-batch",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
)
def log_batch(request: Request, body: LogBatch) -> Empty:
    """Log metrics, params and tags in one transaction."""
    client = _client(request)
    points = [(m.key, m.value, m.step, m.timestamp) for m in body.metrics]
    params = {p.key: p.value for p in body.params}
    tags = {t.key: t.value for t in body.tags}
    name = tags.pop(convert.RUN_NAME_TAG, None)
    records.log_batch(client.store, body.run_id, points, params, tags, require_running=False)
    if name:
        records.update_run(client.store, body.run_id, name=name)
    return Empty()


@router.post(
    "/runs/search",
    response_model=RunsOut,
    dependencies=[Depends(requires("runs:read"))],
    responses=ERRORS,
)
def search_runs(request: Request, body: SearchRuns) -> RunsOut:
    """Search runs with MLflow's filter syntax."""
    client = _client(request)
    experiments: list[str | int] = [_experiment(client, e).id for e in body.experiment_ids]
    include_deleted = str(body.run_view_type) in {"2", "3", "DELETED_ONLY", "ALL"}
    page = client.runs.search_runs(
        experiments or None,
        filters.translate(body.filter),
        filters.translate_order(body.order_by),
        body.max_results,
        body.page_token or None,
        output="list",
        include_deleted=include_deleted,
    )
    return RunsOut(runs=[convert.run(r) for r in page], next_page_token=page.next_page_token)


@router.get(
    "/metrics/get-history",
    response_model=MetricsOut,
    dependencies=[Depends(requires("runs:read"))],
    responses=ERRORS,
)
def get_metric_history(
    request: Request,
    metric_key: Annotated[str, Query(max_length=1000)],
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    run_uuid: Annotated[str | None, Query(max_length=64)] = None,
    max_results: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
) -> MetricsOut:
    """Return every point of one metric (paged when ``max_results`` is given)."""
    points = _client(request).runs.get_metric_history(
        _run_id(run_id, run_uuid), metric_key, output="list"
    )
    offset = _offset(page_token)
    end = len(points) if max_results is None else offset + max_results
    page = points[offset:end]
    return MetricsOut(
        metrics=[convert.metric(p) for p in page],
        next_page_token=_token(end) if end < len(points) else None,
    )


@router.post(
    "/logged-models/search",
    response_model=LoggedModelsOut,
    dependencies=[Depends(requires("models:read"))],
    responses=ERRORS,
)
def search_logged_models(request: Request, body: SearchLoggedModels) -> LoggedModelsOut:
    """Search MLflow 3 "logged models": loopml keeps model folders as run artifacts instead.

    The answer is always empty, which makes the ``mlflow`` client fall back to the run's
    artifacts for ``runs:/<run id>/<path>`` URIs (as with an MLflow 2 server).
    """
    for experiment_id in body.experiment_ids:
        _experiment(_client(request), experiment_id)
    return LoggedModelsOut()


def _run_id(run_id: str | None, run_uuid: str | None) -> str:
    found = run_id or run_uuid
    if not found:
        raise InvalidInput("run_id is required")
    return found


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidInput(f"page_token {token!r} is not a token this API returned") from err
    if offset < 0:
        raise InvalidInput(f"page_token {token!r} is not a token this API returned")
    return offset
