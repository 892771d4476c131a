"""One valid request per mutating route, with the objects it acts on made fresh for each call.

``World`` seeds a store with one of everything (experiment, runs, a registered model with an
alias, a pipeline, a feature view, a deployment with predictions, a monitor, a loop) and
``CASES`` maps each mutating route of the OpenAPI document (``(METHOD, path template)``)
to a function that makes whatever that call consumes (a run to delete, a version to drop, a
queued pipeline run to cancel...) and returns the request. Sent by a role that holds the
route's permission, every request must succeed (2xx).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import loopml as lm
from loopml.loop.demo import scenario
from loopml.tracking import records
from tests.loop.conftest import MODEL, deploy, log_traffic, make_loop
from tests.pipelines import flows


@dataclasses.dataclass
class Call:
    """One HTTP request (``json`` for JSON bodies, ``content`` for uploads)."""

    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    params: dict[str, Any] | None = None


class World:
    """A store holding one of every kind of object the mutating routes act on."""

    def __init__(self, client: lm.Client, folder: Path) -> None:
        self.client = client
        self.counter = itertools.count()
        deployed = deploy(client)  # model churn v1 @champion, monitor churn
        self.model_source = f"models:/{MODEL}/{deployed['version']}"
        with client.runs.start_run("matrix-models", capture=False) as run:
            self.package_run = run.id
            example = deployed["before"][list(scenario.FEATURES)].head(3)
            client.models.log_model(run, deployed["champion"], "model", example=example)
        self.predictions = log_traffic(
            client, scenario.rows(400, seed=3), version=deployed["version"],
            start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), prefix="m", labelled=False,
        )  # fmt: skip
        lm.apply_loop(make_loop())
        client.pipelines.register(flows.scheduled)
        self._feature_view(folder)
        self.experiment = client.runs.set_experiment("matrix")

    def _feature_view(self, folder: Path) -> None:
        source = folder / "activity.parquet"
        pd.DataFrame(
            {
                "customer_id": [1, 2],
                "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC"),
                "orders": [3, 4],
            }
        ).to_parquet(source)
        view = lm.FeatureView("activity", lm.Entity("customer_id"), str(source), "ts", ["orders"])
        self.client.features.apply([view])
        self.client.features.materialize(end=dt.datetime(2024, 1, 3, tzinfo=dt.UTC))

    # ------------------------------------------------------------------ fresh objects
    def unique(self, prefix: str) -> str:
        """A name never used before in this world."""
        return f"{prefix}-{next(self.counter)}"

    def new_experiment(self) -> lm.Experiment:
        """A fresh experiment."""
        return self.client.runs.create_experiment(self.unique("exp"))

    def new_run(self, *, status: str = "RUNNING", deleted: bool = False) -> str:
        """A fresh run in the matrix experiment, left RUNNING, ended, or deleted."""
        store = self.client.store
        run_id = records.create_run(store, records.NewRun(experiment="matrix", user="matrix"))
        if status != "RUNNING":
            records.update_run(store, run_id, status=status)
        if deleted:
            self.client.runs.delete_run(run_id)
        return run_id

    def new_version(self) -> int:
        """A fresh version of the churn model (no alias on it)."""
        return self.client.models.register_model(self.model_source, MODEL).version

    def new_monitor(self) -> str:
        """A fresh monitor of the churn deployment."""
        name = self.unique("monitor")
        reference = scenario.rows(200, seed=5)[list(scenario.FEATURES)]
        self.client.monitors.save(lm.Monitor(name, reference=reference, deployment=MODEL,
                                             window="1h"))  # fmt: skip
        return name

    def new_loop(self) -> str:
        """A fresh loop (a trigger answers 409 while a run of the same loop is in flight)."""
        name = self.unique("loop")
        lm.apply_loop(make_loop(name=name))
        return name

    def new_user(self) -> str:
        """A fresh user holding no role."""
        name = self.unique("user")
        self.client.auth.add_user(name, roles=[])
        return name

    def experiment_id(self) -> str:
        """The MLflow id (a string) of the matrix experiment."""
        return str(self.experiment.id)


Case = Callable[[World], Call]


def _runs(w: World) -> dict[tuple[str, str], Case]:
    metric = {"key": "loss", "value": 0.5, "step": 0, "timestamp": 1}
    batch = {"metrics": [metric], "params": {"a": "b"}}
    capture = {"git": {"commit": "0" * 40, "branch": "main", "dirty": False},
               "environment": {"python_version": "3.12", "platform": "linux"}}  # fmt: skip

    def record(w: World) -> Call:
        ref = w.client.store.put_blob(w.unique("blob").encode())
        body = [{"path": "notes.txt", "digest": ref.digest, "size": ref.size}]
        return Call("POST", f"/api/v1/runs/{w.new_run()}/artifacts", body)

    v1 = "/api/v1"
    return {
        ("POST", f"{v1}/experiments"): lambda w: Call("POST", f"{v1}/experiments",
                                                      {"name": w.unique("exp")}),
        ("PATCH", f"{v1}/experiments/{{name_or_id}}"): lambda w: Call(
            "PATCH", f"{v1}/experiments/{w.new_experiment().name}", {"name": w.unique("exp")}),
        ("DELETE", f"{v1}/experiments/{{name_or_id}}"): lambda w: Call(
            "DELETE", f"{v1}/experiments/{w.new_experiment().id}"),
        ("POST", f"{v1}/runs"): lambda w: Call("POST", f"{v1}/runs", {"experiment": "matrix"}),
        ("POST", f"{v1}/runs/search"): lambda w: Call("POST", f"{v1}/runs/search",
                                                      {"experiments": ["matrix"], "limit": 5}),
        ("DELETE", f"{v1}/runs/{{run_id}}"): lambda w: Call("DELETE", f"{v1}/runs/{w.new_run()}"),
        ("POST", f"{v1}/runs/{{run_id}}/log-batch"): lambda w: Call(
            "POST", f"{v1}/runs/{w.new_run()}/log-batch", batch),
        ("POST", f"{v1}/runs/{{run_id}}/end"): lambda w: Call(
            "POST", f"{v1}/runs/{w.new_run()}/end", {"status": "FINISHED"}),
        ("POST", f"{v1}/runs/{{run_id}}/resume"): lambda w: Call(
            "POST", f"{v1}/runs/{w.new_run(status='FINISHED')}/resume"),
        ("POST", f"{v1}/runs/{{run_id}}/restore"): lambda w: Call(
            "POST", f"{v1}/runs/{w.new_run(status='FINISHED', deleted=True)}/restore"),
        ("POST", f"{v1}/runs/{{run_id}}/artifacts"): record,
        ("PUT", f"{v1}/runs/{{run_id}}/artifacts/{{path}}"): lambda w: Call(
            "PUT", f"{v1}/runs/{w.new_run()}/artifacts/data/x.txt", content=b"hello"),
        ("POST", f"{v1}/runs/{{run_id}}/capture"): lambda w: Call(
            "POST", f"{v1}/runs/{w.new_run()}/capture", capture),
    }  # fmt: skip


def _models(w: World) -> dict[tuple[str, str], Case]:
    base = f"/api/v1/models/{MODEL}"

    def tagged(w: World) -> str:
        w.client.models.set_model_tags(MODEL, {"stage": "x"})
        return "stage"

    def version_tagged(w: World) -> int:
        version = w.new_version()
        w.client.models.set_model_tags(MODEL, {"stage": "x"}, version)
        return version

    def aliased(w: World) -> str:
        alias = w.unique("alias")
        w.client.models.set_alias(MODEL, alias, 1)
        return alias

    t = "/api/v1/models/{name}"
    return {
        ("PATCH", t): lambda w: Call("PATCH", base, {"description": "churn model"}),
        ("PUT", f"{t}/tags"): lambda w: Call("PUT", f"{base}/tags", {"tags": {"team": "risk"}}),
        ("DELETE", f"{t}/tags/{{key}}"): lambda w: Call("DELETE", f"{base}/tags/{tagged(w)}"),
        ("POST", f"{t}/versions"): lambda w: Call(
            "POST", f"{base}/versions", {"source": f"runs:/{w.package_run}/model"}),
        ("PATCH", f"{t}/versions/{{version}}"): lambda w: Call(
            "PATCH", f"{base}/versions/1", {"description": "first"}),
        ("DELETE", f"{t}/versions/{{version}}"): lambda w: Call(
            "DELETE", f"{base}/versions/{w.new_version()}"),
        ("PUT", f"{t}/versions/{{version}}/tags"): lambda w: Call(
            "PUT", f"{base}/versions/1/tags", {"tags": {"checked": "yes"}}),
        ("DELETE", f"{t}/versions/{{version}}/tags/{{key}}"): lambda w: Call(
            "DELETE", f"{base}/versions/{version_tagged(w)}/tags/stage"),
        ("PUT", f"{t}/aliases/{{alias}}"): lambda w: Call(
            "PUT", f"{base}/aliases/{w.unique('alias')}", {"version": 1, "reason": "matrix"}),
        ("DELETE", f"{t}/aliases/{{alias}}"): lambda w: Call(
            "DELETE", f"{base}/aliases/{aliased(w)}"),
    }  # fmt: skip


def _components(w: World) -> dict[tuple[str, str], Case]:
    v1 = "/api/v1"

    def queued(w: World) -> str:
        return w.client.pipelines.trigger("every_five_minutes", {"n": 1}).id

    window_end = dt.datetime.now(dt.UTC).isoformat()
    online = {"entities": {"customer_id": [1, 2]}, "features": ["activity:orders"]}
    return {
        ("POST", f"{v1}/pipelines/{{name}}/runs"): lambda w: Call(
            "POST", f"{v1}/pipelines/every_five_minutes/runs", {"params": {"n": 1}}),
        ("POST", f"{v1}/pipeline-runs/{{run_id}}/cancel"): lambda w: Call(
            "POST", f"{v1}/pipeline-runs/{queued(w)}/cancel"),
        ("POST", f"{v1}/features/online"): lambda w: Call("POST", f"{v1}/features/online", online),
        ("DELETE", f"{v1}/monitors/{{name}}"): lambda w: Call(
            "DELETE", f"{v1}/monitors/{w.new_monitor()}"),
        ("POST", f"{v1}/monitors/{{name}}/pause"): lambda w: Call(
            "POST", f"{v1}/monitors/{MODEL}/pause"),
        ("POST", f"{v1}/monitors/{{name}}/resume"): lambda w: Call(
            "POST", f"{v1}/monitors/{MODEL}/resume"),
        ("POST", f"{v1}/monitors/{{name}}/runs"): lambda w: Call(
            "POST", f"{v1}/monitors/{MODEL}/runs", {"window_end": window_end}),
        ("POST", f"{v1}/feedback"): lambda w: Call(
            "POST", f"{v1}/feedback",
            {"prediction_id": w.predictions.pop(), "label": 1, "deployment": MODEL}),
        ("POST", f"{v1}/loops/{{name}}/trigger"): lambda w: Call(
            "POST", f"{v1}/loops/{w.new_loop()}/trigger", {"reason": "matrix"}),
        ("POST", f"{v1}/loops/{{name}}/pause"): lambda w: Call(
            "POST", f"{v1}/loops/churn-loop/pause"),
        ("POST", f"{v1}/loops/{{name}}/resume"): lambda w: Call(
            "POST", f"{v1}/loops/churn-loop/resume"),
    }  # fmt: skip


def _mlflow_tracking(w: World) -> dict[tuple[str, str], Case]:
    api = "/api/2.0/mlflow"

    def run(w: World, **kw: Any) -> dict[str, str]:
        return {"run_id": w.new_run(**kw)}

    def tagged_run(w: World) -> dict[str, str]:
        run_id = w.new_run()
        records.log_batch(w.client.store, run_id, (), {}, {"stage": "x"})
        return {"run_id": run_id, "key": "stage"}

    def artifact(w: World) -> str:
        return f"{api}-artifacts/artifacts/{w.experiment_id()}/{w.new_run()}/artifacts/m.txt"

    return {
        ("POST", f"{api}/experiments/create"): lambda w: Call(
            "POST", f"{api}/experiments/create", {"name": w.unique("mlflow-exp")}),
        ("POST", f"{api}/experiments/search"): lambda w: Call(
            "POST", f"{api}/experiments/search", {"max_results": 10}),
        ("POST", f"{api}/experiments/update"): lambda w: Call(
            "POST", f"{api}/experiments/update",
            {"experiment_id": str(w.new_experiment().id), "new_name": w.unique("mlflow-exp")}),
        ("POST", f"{api}/experiments/delete"): lambda w: Call(
            "POST", f"{api}/experiments/delete", {"experiment_id": str(w.new_experiment().id)}),
        ("POST", f"{api}/runs/create"): lambda w: Call(
            "POST", f"{api}/runs/create", {"experiment_id": w.experiment_id(), "start_time": 1}),
        ("POST", f"{api}/runs/update"): lambda w: Call(
            "POST", f"{api}/runs/update", {**run(w), "status": "FINISHED", "end_time": 2}),
        ("POST", f"{api}/runs/delete"): lambda w: Call("POST", f"{api}/runs/delete", run(w)),
        ("POST", f"{api}/runs/restore"): lambda w: Call(
            "POST", f"{api}/runs/restore", run(w, status="FINISHED", deleted=True)),
        ("POST", f"{api}/runs/log-metric"): lambda w: Call(
            "POST", f"{api}/runs/log-metric",
            {**run(w), "key": "loss", "value": 0.1, "timestamp": 1, "step": 0}),
        ("POST", f"{api}/runs/log-parameter"): lambda w: Call(
            "POST", f"{api}/runs/log-parameter", {**run(w), "key": "lr", "value": "0.1"}),
        ("POST", f"{api}/runs/set-tag"): lambda w: Call(
            "POST", f"{api}/runs/set-tag", {**run(w), "key": "team", "value": "risk"}),
        ("POST", f"{api}/runs/delete-tag"): lambda w: Call(
            "POST", f"{api}/runs/delete-tag", tagged_run(w)),
        ("POST", f"{api}/runs/log-batch"): lambda w: Call(
            "POST", f"{api}/runs/log-batch",
            {**run(w), "metrics": [{"key": "loss", "value": 0.1, "timestamp": 1, "step": 0}],
             "params": [{"key": "lr", "value": "0.1"}], "tags": [{"key": "t", "value": "v"}]}),
        ("POST", f"{api}/runs/search"): lambda w: Call(
            "POST", f"{api}/runs/search",
            {"experiment_ids": [w.experiment_id()], "filter": "params.lr = '0.1'",
             "max_results": 5}),
        ("POST", f"{api}/logged-models/search"): lambda w: Call(
            "POST", f"{api}/logged-models/search", {"experiment_ids": [w.experiment_id()]}),
        ("PUT", f"{api}-artifacts/artifacts/{{path}}"): lambda w: Call(
            "PUT", artifact(w), content=b"hello"),
    }  # fmt: skip


def _mlflow_registry(w: World) -> dict[tuple[str, str], Case]:
    rm, mv = "/api/2.0/mlflow/registered-models", "/api/2.0/mlflow/model-versions"

    def tagged(w: World) -> dict[str, str]:
        w.client.models.set_model_tags(MODEL, {"stage": "x"})
        return {"name": MODEL, "key": "stage"}

    def version_tagged(w: World) -> dict[str, str]:
        version = w.new_version()
        w.client.models.set_model_tags(MODEL, {"stage": "x"}, version)
        return {"name": MODEL, "version": str(version), "key": "stage"}

    def aliased(w: World) -> dict[str, str]:
        alias = w.unique("alias")
        w.client.models.set_alias(MODEL, alias, 1)
        return {"name": MODEL, "alias": alias}

    source = f"runs:/{w.package_run}/model"
    return {
        ("POST", f"{rm}/create"): lambda w: Call("POST", f"{rm}/create",
                                                 {"name": w.unique("mlflow-model")}),
        ("PATCH", f"{rm}/update"): lambda w: Call(
            "PATCH", f"{rm}/update", {"name": MODEL, "description": "churn"}),
        ("POST", f"{rm}/get-latest-versions"): lambda w: Call(
            "POST", f"{rm}/get-latest-versions", {"name": MODEL}),
        ("POST", f"{rm}/set-tag"): lambda w: Call(
            "POST", f"{rm}/set-tag", {"name": MODEL, "key": "team", "value": "risk"}),
        ("DELETE", f"{rm}/delete-tag"): lambda w: Call("DELETE", f"{rm}/delete-tag", tagged(w)),
        ("POST", f"{rm}/alias"): lambda w: Call(
            "POST", f"{rm}/alias", {"name": MODEL, "alias": w.unique("alias"), "version": "1"}),
        ("DELETE", f"{rm}/alias"): lambda w: Call("DELETE", f"{rm}/alias", aliased(w)),
        ("POST", f"{mv}/create"): lambda w: Call(
            "POST", f"{mv}/create", {"name": MODEL, "source": source, "run_id": w.package_run}),
        ("PATCH", f"{mv}/update"): lambda w: Call(
            "PATCH", f"{mv}/update", {"name": MODEL, "version": "1", "description": "v1"}),
        ("DELETE", f"{mv}/delete"): lambda w: Call(
            "DELETE", f"{mv}/delete", {"name": MODEL, "version": str(w.new_version())}),
        ("POST", f"{mv}/set-tag"): lambda w: Call(
            "POST", f"{mv}/set-tag", {"name": MODEL, "version": "1", "key": "ok", "value": "1"}),
        ("DELETE", f"{mv}/delete-tag"): lambda w: Call("DELETE", f"{mv}/delete-tag",
                                                       version_tagged(w)),
    }  # fmt: skip


def _users(w: World) -> dict[tuple[str, str], Case]:
    v1 = "/api/v1"

    def token(w: World) -> str:
        return w.client.auth.create_token(w.new_user(), "t").token.id

    return {
        ("POST", f"{v1}/users"): lambda w: Call(
            "POST", f"{v1}/users", {"name": w.unique("user"), "roles": ["data_scientist"]}),
        ("DELETE", f"{v1}/users/{{name}}"): lambda w: Call("DELETE", f"{v1}/users/{w.new_user()}"),
        ("PUT", f"{v1}/users/{{name}}/roles"): lambda w: Call(
            "PUT", f"{v1}/users/{w.new_user()}/roles", {"roles": ["data_engineer"]}),
        ("POST", f"{v1}/users/{{name}}/tokens"): lambda w: Call(
            "POST", f"{v1}/users/{w.new_user()}/tokens", {"name": "ci", "expires_in": "30d"}),
        ("DELETE", f"{v1}/tokens/{{token_id}}"): lambda w: Call(
            "DELETE", f"{v1}/tokens/{token(w)}"),
    }  # fmt: skip


def cases(world: World) -> dict[tuple[str, str], Case]:
    """Every mutating route's request factory, keyed by ``(METHOD, OpenAPI path)``."""
    found: dict[tuple[str, str], Case] = {}
    for group in (_runs, _models, _components, _mlflow_tracking, _mlflow_registry, _users):
        found.update(group(world))
    return found
