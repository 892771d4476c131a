"""Write a run's metadata: queued changes go to the database in one transaction per flush."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from loopml._utils.clock import now_ms
from loopml._utils.ids import new_id
from loopml._utils.secrets import redact
from loopml.models.writer import log_model
from loopml.pipelines import records
from loopml.store.hooks import STATES, LifecycleEvent, notify
from loopml.store.lineage import Edge, Node, record_edges
from loopml.store.tables import core, pipelines as t, tracking as tt
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from loopml.pipelines.entities import PipelineRunInfo
    from loopml.pipelines.plan import Decision, StepState
    from loopml.pipelines.runner import RunRequest
    from loopml.pipelines.worker import StepResult
    from loopml.store import Store
    from loopml.tracking import Run


class Recorder:
    """Collects metadata changes of one run and writes them in batches."""

    def __init__(self, store: Store, request: RunRequest, executor: str) -> None:
        self.store = store
        self.request = request
        self.executor = redact(executor)  # a scheduler URL may carry a token
        self.run_id = request.run_id or new_id()
        self._ops: list[Callable[[Connection], None]] = []
        self._updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._edges: list[Edge] = []
        self._blobs: dict[str, dict[str, Any]] = {}
        self._artifacts: list[dict[str, Any]] = []
        self._tracking: Run | None = None

    @property
    def tracking_run_id(self) -> str | None:
        """The pipeline run's own tracking run (parent of the step runs)."""
        return None if self._tracking is None else self._tracking.id

    # ------------------------------------------------------------------ start and end
    def start(self, states: list[StepState]) -> None:
        """Open the pipeline's tracking run and write the run and its pending steps."""
        request = self.request
        pipeline = request.pipeline
        self._tracking = Tracking(self.store, log_model=log_model).start_run(
            pipeline.experiment,
            f"{pipeline.name}-{self.run_id[:8]}",
            pipeline_run_id=self.run_id,
            params=_loggable(request.params),
            tags={"loopml.pipeline": pipeline.name, "loopml.trigger": request.trigger},
        )
        now = now_ms()
        row = {
            "pipeline": pipeline.name,
            "status": "RUNNING",
            "params": _json_ready(request.params),
            "executor": self.executor,
            "cache": request.cache,
            "trigger": request.trigger,
            "trigger_info": request.trigger_info,
            "resumed_from": request.resume_from.id if request.resume_from else None,
            "target": pipeline.target,
            "graph": request.graph.to_json(),
            "run_id": self._tracking.id,
            "start_time": now,
            "error": None,
        }
        names = {s.position: s.name for s in states}
        steps = [_pending_row(self.run_id, s, names) for s in states]
        with self.store.db.write() as conn:
            records.upsert_pipeline(self.store.db, conn, pipeline.registration())
            if request.run_id is None:
                conn.execute(
                    t.pipeline_runs.insert().values(
                        id=self.run_id, created_at=now, cancel_requested=False, **row
                    )
                )
            else:
                conn.execute(
                    update(t.pipeline_runs).where(t.pipeline_runs.c.id == self.run_id).values(**row)
                )
            if steps:
                conn.execute(t.step_runs.insert(), steps)
        if self.store.hooks:
            details = {"params": row["params"], "tracking_run_id": row["run_id"]}
            self._announce("pipeline_run", self.run_id, "START", pipeline.name, None, details)

    def finish(self, status: str, outputs: Any, error: str | None) -> PipelineRunInfo:
        """Write the final status and return the complete record."""
        run_status = {"SUCCEEDED": "FINISHED", "FAILED": "FAILED"}.get(status, "KILLED")
        if self._tracking is not None:
            self._tracking.end(run_status, error=error)
        end = now_ms()
        stmt = (
            update(t.pipeline_runs)
            .where(t.pipeline_runs.c.id == self.run_id)
            .values(status=status, end_time=end, outputs=outputs, error=error)
        )
        self._ops.append(lambda conn: _execute(conn, stmt))
        self.flush()
        if self.store.hooks:
            state = STATES.get(status, "ABORT")
            details = {"error": error, "tracking_run_id": self.tracking_run_id}
            self._announce(
                "pipeline_run", self.run_id, state, self.request.pipeline.name, None, details
            )
        return records.get_run(self.store.db, self.run_id)

    # ------------------------------------------------------------------ lifecycle events
    def _announce(
        self,
        kind: str,
        run_id: str,
        state: str,
        name: str,
        parent: tuple[str, str] | None,
        details: dict[str, Any],
    ) -> None:
        event = LifecycleEvent(kind, run_id, state, now_ms(), name, parent, details)  # type: ignore[arg-type]
        notify(self.store, event)

    def _announce_step(self, state: StepState, lifecycle: str, **details: Any) -> None:
        if self.store.hooks:
            name = f"{self.request.pipeline.name}.{state.name}"
            parent = ("pipeline_run", self.run_id)
            self._announce("step_run", state.id, lifecycle, name, parent, details)

    def flush(self) -> None:
        """Write every queued change in one transaction (grouped into executemany calls)."""
        if not (self._ops or self._updates or self._edges or self._blobs or self._artifacts):
            return
        ops, self._ops = self._ops, []
        updates, self._updates = self._updates, {}
        edges, self._edges = self._edges, []
        blobs, self._blobs = list(self._blobs.values()), {}
        artifacts, self._artifacts = self._artifacts, []
        db = self.store.db
        with db.write() as conn:
            if blobs:
                now = now_ms()
                conn.execute(
                    db.upsert(core.blobs, ["digest"], []), [{**b, "created_at": now} for b in blobs]
                )
            for rows in updates.values():
                conn.execute(_STEP_UPDATE, rows)
            if artifacts:
                conn.execute(db.upsert(tt.run_artifacts, ["run_id", "path"], []), artifacts)
            record_edges(self.store, edges, conn)
            for op in ops:
                op(conn)

    # ------------------------------------------------------------------ step changes
    def running(self, state: StepState, decision: Decision) -> None:
        """The step was handed to the executor."""
        state.status = "RUNNING"
        state.started_at = now_ms()
        state.inputs = decision.inputs
        self._update(
            state,
            status="RUNNING",
            start_time=state.started_at,
            cache_key=decision.key,
            cache_parts=decision.parts,
            cache_note=decision.note,
            inputs=decision.inputs,
        )
        self._announce_step(state, "START", inputs=sorted(set(_flatten(decision.inputs))))

    def cached(self, state: StepState, decision: Decision) -> None:
        """The step's result was reused from an earlier step run."""
        assert decision.cached is not None
        outputs = decision.cached["outputs"]
        source = decision.cached["id"]
        now = now_ms()
        state.status = "CACHED"
        state.outputs = outputs
        state.inputs = decision.inputs
        self._update(
            state,
            status="CACHED",
            start_time=now,
            end_time=now,
            attempt=0,
            cache_key=decision.key,
            cache_parts=decision.parts,
            cache_note=decision.note,
            cached_from=source,
            inputs=decision.inputs,
            outputs=outputs,
        )
        edges = self._edges_of(state, decision.inputs, outputs)
        edges.append(Edge(_step(state), "derived_from", Node("step_run", source)))
        self._edges += edges
        inputs = sorted(set(_flatten(decision.inputs)))
        self._announce_step(state, "START", inputs=inputs)
        self._announce_step(state, "COMPLETE", inputs=inputs, outputs=outputs, cached_from=source)

    def failed_before_start(self, state: StepState, error: str) -> None:
        """The step could not start (for example, a missing input artifact)."""
        state.status = "FAILED"
        state.error = error
        now = now_ms()
        self._update(state, status="FAILED", start_time=now, end_time=now, error=error)
        self._announce_step(state, "START")
        self._announce_step(state, "FAIL", error=error)

    def completed(self, state: StepState, result: StepResult) -> None:
        """The executor finished the step (successfully or not)."""
        self._update(
            state,
            status=result.status,
            start_time=result.start_time,
            end_time=result.end_time,
            attempt=max(len(result.attempts), 1),
            attempts=result.attempts,
            run_id=result.run_id,
            outputs=result.outputs,
            logs_digest=result.logs_digest,
            error=result.error,
        )
        for blob in result.blobs:
            self._blobs[blob["digest"]] = blob
        if result.run_id is not None:
            self._artifacts += _run_artifacts(result)
        edges = self._edges_of(state, state.inputs, result.outputs)
        if result.run_id is not None:
            edges.append(Edge(Node("run", result.run_id), "part_of", _step(state)))
        self._edges += edges
        self._announce_step(
            state,
            STATES.get(result.status, "FAIL"),
            inputs=sorted(set(_flatten(state.inputs))),
            outputs=result.outputs,
            error=result.error,
            tracking_run_id=result.run_id,
        )

    def skipped(self, state: StepState, upstream: str) -> None:
        """The step will not run because ``upstream`` failed."""
        state.error = f"not run: upstream step {upstream!r} did not succeed"
        self._update(state, status="SKIPPED", error=state.error)

    def cancelled(self, state: StepState, reason: str) -> None:
        """The run was cancelled before this step finished."""
        self._update(state, status="CANCELLED", end_time=now_ms(), error=reason)
        if state.started_at is not None:
            self._announce_step(state, "ABORT", error=reason)

    def _update(self, state: StepState, **values: Any) -> None:
        self._updates.setdefault(tuple(sorted(values)), []).append({"step_id": state.id, **values})

    def _edges_of(self, state: StepState, inputs: Any, outputs: list[dict[str, Any]]) -> list[Edge]:
        step = _step(state)
        edges = [Edge(step, "part_of", Node("pipeline_run", self.run_id))]
        for digest in sorted(set(_flatten(inputs))):
            edges.append(Edge(step, "used", Node("artifact", digest)))
        for output in outputs:
            edges.append(Edge(step, "produced", Node("artifact", output["digest"])))
        return edges


# Executed with rows that name the columns to set plus "step_id"; SQLAlchemy builds the
# SET clause from the row keys, so one statement serves every update (and executemany).
_STEP_UPDATE = update(t.step_runs).where(t.step_runs.c.id == bindparam("step_id"))


def _execute(conn: Connection, stmt: Any) -> None:
    conn.execute(stmt)


def _step(state: StepState) -> Node:
    return Node("step_run", state.id)


def _flatten(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) == 64 else []
    if isinstance(value, list):
        return [d for v in value for d in _flatten(v)]
    if isinstance(value, dict):
        return [d for k, v in value.items() if k != "value" for d in _flatten(v)]
    return []


def _pending_row(run_id: str, state: StepState, names: dict[int, str]) -> dict[str, Any]:
    node = state.node
    return {
        "id": state.id,
        "pipeline_run_id": run_id,
        "name": node.name,
        "step": node.step.name,
        "function": node.step.function[:512],
        "status": "PENDING",
        "position": node.position,
        "upstream": [names[u] for u in node.upstream],
        "attempt": 0,
    }


def _run_artifacts(result: StepResult) -> list[dict[str, Any]]:
    now = now_ms()
    rows = [
        {
            "run_id": result.run_id,
            "path": f"outputs/{o['name']}",
            "digest": o["digest"],
            "size": o["size"],
            "media_type": o["media_type"],
            "created_at": now,
        }
        for o in result.outputs
        if "uri" not in o  # model packages are already artifacts of the run
    ]
    if result.logs_digest is not None:
        size = next(b["size"] for b in result.blobs if b["digest"] == result.logs_digest)
        rows.append(
            {
                "run_id": result.run_id,
                "path": "_loopml/step.log",
                "digest": result.logs_digest,
                "size": size,
                "media_type": "text/plain",
                "created_at": now,
            }
        )
    return rows


def _json_ready(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=repr))  # type: ignore[no-any-return]


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in params.items():
        text = value if isinstance(value, str) else json.dumps(value, default=repr)
        if len(text) <= 500:
            out[name] = text
    return out
