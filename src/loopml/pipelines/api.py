"""The pipelines API of one store (``client.pipelines``): run, inspect, resume, trigger."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from loopml import config
from loopml._utils.clock import now_ms
from loopml._utils.ids import new_id
from loopml.errors import InvalidInput
from loopml.pipelines import cache_keys, records
from loopml.pipelines.definition import Pipeline
from loopml.pipelines.errors import (
    PipelineRunFailed,
    PipelineRunNotResumable,
    StepRunNotFound,
)
from loopml.pipelines.executors import open_executor
from loopml.pipelines.graph import render_mermaid, render_text
from loopml.pipelines.loading import load_target
from loopml.pipelines.results import Explanation, PipelineRun
from loopml.pipelines.runner import RunEvent, Runner, RunRequest
from loopml.pipelines.worker import load_artifact
from loopml.store.tables import pipelines as t

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.config import Settings
    from loopml.pipelines.entities import PipelineInfo, PipelineRunInfo, StepRunInfo
    from loopml.store import Store


class Pipelines:
    """Pipelines and their runs in one :class:`~loopml.store.Store`.

    Args:
        store: where runs are recorded and artifacts stored.
        settings: the client's settings (default executor; passed to worker processes).
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def __repr__(self) -> str:
        return f"Pipelines({self.store!r})"

    # ------------------------------------------------------------------ running
    def run(
        self,
        pipeline: Pipeline | str,
        params: dict[str, Any] | None = None,
        *,
        executor: Any = None,
        cache: bool | None = None,
        raise_on_error: bool = True,
        on_event: Callable[[RunEvent], None] | None = None,
        trigger: str = "manual",
        trigger_info: dict[str, Any] | None = None,
        resume_from: PipelineRunInfo | None = None,
        run_id: str | None = None,
    ) -> PipelineRun:
        """Run ``pipeline`` (a definition, target or registered name) and wait for it.

        Raises:
            PipelineRunFailed: the run failed or was cancelled (with ``raise_on_error``).
        """
        definition = self.definition(pipeline)
        params = definition.resolve_params((), dict(params or {}))
        graph = definition.build(**params)
        request = RunRequest(
            definition,
            graph,
            params,
            cache=definition.cache if cache is None else cache,
            trigger=trigger,
            trigger_info=trigger_info,
            resume_from=resume_from,
            run_id=run_id,
            on_event=on_event,
        )
        spec = executor or definition.executor or self.settings.executor
        opened = open_executor(spec, self.store, self.settings)
        try:
            info = Runner(self.store, self.settings, opened, request).run()
        finally:
            if opened is not spec:
                opened.close()
        result = PipelineRun(info, self)
        if raise_on_error and info.status != "SUCCEEDED":
            raise PipelineRunFailed(_failure_message(info), info)
        return result

    def resume(
        self,
        run_id: str,
        *,
        executor: Any = None,
        raise_on_error: bool = True,
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> PipelineRun:
        """Re-run a failed or cancelled pipeline run, reusing every step that had succeeded.

        Steps whose code, parameters and inputs are unchanged are taken over from the
        earlier run (recorded as CACHED, even with caching off); the failed step and
        everything after it run again. The new run records ``resumed_from``.

        Args:
            run_id: the failed or cancelled run (id or unique prefix).
            executor: ``local``, ``threads``, ``process``, ``dask://host:port`` or a Dask
                client (default: the pipeline's, else the settings').
            raise_on_error: raise :class:`PipelineRunFailed` when the new run fails.
            on_event: progress callback.

        Raises:
            PipelineRunNotResumable: the run succeeded or is still running.
        """
        previous = self.get_run(run_id)
        if previous.status not in {"FAILED", "CANCELLED"}:
            raise PipelineRunNotResumable(
                f"pipeline run {previous.id} is {previous.status}; only FAILED or CANCELLED runs "
                "can be resumed (start a new run with `loopml pipelines run`)"
            )
        definition = self.definition(previous.target or previous.pipeline)
        return self.run(
            definition,
            dict(previous.params),
            executor=executor,
            cache=previous.cache,
            raise_on_error=raise_on_error,
            trigger="resume",
            trigger_info={"resumed_from": previous.id},
            resume_from=previous,
            on_event=on_event,
        )

    def trigger(
        self,
        pipeline: Pipeline | str,
        params: dict[str, Any] | None = None,
        *,
        wait: bool = False,
        reason: str | None = None,
        source: str = "api",
        executor: Any = None,
    ) -> PipelineRunInfo:
        """Start a run for another component (a monitor alert, the retraining loop).

        Args:
            pipeline: a definition, or the name of a registered pipeline.
            params: parameter overrides (checked now, before anything is queued).
            wait: run now in this process and return the finished record; otherwise
                queue the run for the ``loopml scheduler`` and return at once.
            reason: why it was triggered (stored with the run).
            source: who triggered it (``api``, ``monitor:churn-drift``...).
            executor: executor for ``wait=True`` runs.

        Returns:
            The QUEUED run (``wait=False``) or the finished run (``wait=True``).
        """
        definition = self.definition(pipeline)
        resolved = definition.resolve_params((), dict(params or {}))
        info = {"reason": reason, "source": source}
        if wait:
            run = self.run(
                definition,
                resolved,
                executor=executor,
                raise_on_error=False,
                trigger="trigger",
                trigger_info=info,
            )
            return run.info
        if definition.target is None:
            raise InvalidInput(
                f"pipeline {definition.name!r} is not importable (defined in a function or "
                "notebook), so the scheduler could not run it; define it at module level or "
                "trigger it with wait=True"
            )
        run_id = new_id()
        with self.store.db.write() as conn:
            records.upsert_pipeline(self.store.db, conn, definition.registration())
            conn.execute(
                t.pipeline_runs.insert().values(
                    id=run_id,
                    pipeline=definition.name,
                    status="QUEUED",
                    params=_json_ready(resolved),
                    executor=str(executor or definition.executor or self.settings.executor),
                    cache=definition.cache,
                    trigger="trigger",
                    trigger_info=info,
                    target=definition.target,
                    created_at=now_ms(),
                    cancel_requested=False,
                )
            )
        return self.get_run(run_id)

    def run_queued(self, limit: int | None = None) -> list[PipelineRunInfo]:
        """Run queued (triggered) runs, oldest first; each is claimed so it runs once."""
        done = []
        for queued in reversed(
            records.list_runs(self.store.db, status="QUEUED", limit=limit or 100)
        ):
            if not self._claim(queued.id):
                continue
            try:
                run = self.run(
                    queued.target or queued.pipeline,
                    dict(queued.params),
                    executor=None if queued.executor == self.settings.executor else queued.executor,
                    raise_on_error=False,
                    trigger=queued.trigger,
                    trigger_info=queued.trigger_info,
                    run_id=queued.id,
                )
                done.append(run.info)
            except Exception as err:  # a definition that no longer imports: record why
                self._fail_queued(queued.id, err)
                done.append(self.get_run(queued.id))
        return done

    def _claim(self, run_id: str) -> bool:
        runs = t.pipeline_runs
        with self.store.db.write() as conn:
            claimed = conn.execute(
                update(runs)
                .where(runs.c.id == run_id, runs.c.status == "QUEUED")
                .values(status="STARTING", start_time=now_ms())
                .returning(runs.c.id)
            ).first()
        return claimed is not None

    def _fail_queued(self, run_id: str, err: Exception) -> None:
        runs = t.pipeline_runs
        with self.store.db.write() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id, runs.c.status.in_(["STARTING", "QUEUED"]))
                .values(status="FAILED", end_time=now_ms(), error=f"could not start: {err}")
            )

    def cancel(self, run_id: str, *, force: bool = False) -> PipelineRunInfo:
        """Ask a running (or queued) run to stop; the driver stops at its next check.

        ``force=True`` marks a run whose driver died CANCELLED at once (then resume it).
        """
        return records.request_cancel(self.store.db, run_id, force=force)

    # ------------------------------------------------------------------ definitions
    def definition(self, pipeline: Pipeline | str) -> Pipeline:
        """Return the definition for a Pipeline, an import target or a registered name."""
        if isinstance(pipeline, Pipeline):
            return pipeline
        if ":" in pipeline or pipeline.endswith(".py"):
            return load_target(pipeline)
        info = records.get_pipeline(self.store.db, pipeline)
        if info.target is None:
            raise InvalidInput(
                f"pipeline {pipeline!r} was registered from code that cannot be imported again; "
                "run it from its module instead"
            )
        return load_target(info.target)

    def register(self, pipeline: Pipeline | str) -> PipelineInfo:
        """Register (or update) a pipeline so schedules and triggers can find it."""
        definition = self.definition(pipeline)
        row = definition.registration()
        with self.store.db.write() as conn:
            records.upsert_pipeline(self.store.db, conn, row)
        return records.get_pipeline(self.store.db, definition.name)

    def get_pipeline(self, name: str) -> PipelineInfo:
        """Return a registered pipeline."""
        return records.get_pipeline(self.store.db, name)

    def list_pipelines(self) -> list[PipelineInfo]:
        """Return every registered pipeline."""
        return records.list_pipelines(self.store.db)

    # ------------------------------------------------------------------ inspecting
    def get_run(self, run_id: str) -> PipelineRunInfo:
        """Return a pipeline run (an id or a unique prefix of one) with its steps."""
        return records.get_run(self.store.db, run_id)

    def list_runs(
        self, pipeline: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[PipelineRunInfo]:
        """Return runs, newest first."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        return records.list_runs(self.store.db, pipeline, status, limit)

    def step(self, run: PipelineRunInfo | str, name: str) -> StepRunInfo:
        """Return step ``name`` of a run.

        Raises:
            StepRunNotFound: no such step; the message lists the run's steps.
        """
        info = self.get_run(run) if isinstance(run, str) else run
        try:
            return info.step(name)
        except KeyError:
            raise StepRunNotFound(
                f"pipeline run {info.id[:12]} has no step {name!r}; its steps are "
                f"{[s.name for s in info.steps]}"
            ) from None

    def explain(self, run_id: str, step: str) -> Explanation:
        """Explain why a step was cached or ran: its decision and what changed since before."""
        info = self.get_run(run_id)
        current = self.step(info, step)
        compared: StepRunInfo | None
        if current.cached_from is not None:
            compared = records.get_step(self.store.db, current.cached_from)
        else:
            compared = records.previous_step(self.store.db, info.pipeline, step, info.created_at)
        reasons: tuple[str, ...] = ()
        if compared is not None and compared.cache_parts and current.cache_parts:
            reasons = tuple(cache_keys.differences(compared.cache_parts, current.cache_parts))
        return Explanation(
            current.name,
            current.status,
            current.cache_key,
            current.cache_note,
            None if compared is None else compared.id,
            reasons,
        )

    def graph(self, run_or_target: str, format: str = "text") -> str:
        """Render the DAG of a recorded run (with statuses) or of a definition."""
        try:
            info = self.get_run(run_or_target)
            spec, statuses = info.graph or {}, {s.name: s.status for s in info.steps}
        except Exception:
            spec, statuses = self.definition(run_or_target).build().to_json(), None
        if format == "mermaid":
            return render_mermaid(spec, statuses)
        if format != "text":
            raise InvalidInput(f"format must be 'text' or 'mermaid', not {format!r}")
        return render_text(spec, statuses)

    def logs(self, run_id: str, step: str) -> str:
        """Return what a step printed and logged."""
        current = self.step(self.get_run(run_id), step)
        if current.logs_digest is None:
            return ""
        return self.store.blobs.get_bytes(current.logs_digest).decode(errors="replace")

    def load_output(self, run_id: str, step: str, output: str | None = None) -> Any:
        """Load an output of a step (by output name; default: the only or first one)."""
        current = self.step(self.get_run(run_id), step)
        if not current.outputs:
            raise StepRunNotFound(
                f"step {step!r} of run {run_id[:12]} has no outputs ({current.status})"
            )
        chosen = (
            current.outputs[0]
            if output is None
            else next((o for o in current.outputs if o["name"] == output), None)
        )
        if chosen is None:
            names = [o["name"] for o in current.outputs]
            raise StepRunNotFound(f"step {step!r} has no output {output!r}; outputs: {names}")
        return load_artifact(
            self.store, chosen, f"output {chosen['name']!r} of step {step!r}", step
        )

    def load_outputs(self, value: Any) -> Any:
        """Load the artifacts inside a stored pipeline-output structure."""
        if isinstance(value, dict) and "$artifact" in value:
            ref = value["$artifact"]
            return load_artifact(self.store, ref, "pipeline output", value.get("step", ""))
        if isinstance(value, list):
            return [self.load_outputs(v) for v in value]
        if isinstance(value, dict):
            return {k: self.load_outputs(v) for k, v in value.items()}
        return value


def settings_for(store: Store) -> Settings:
    """Settings that point at ``store`` (for runs started without a client)."""
    return config.resolve(home=store.home, db_url=store.db.url, artifacts=store.blobs.backend.url)


def _failure_message(info: PipelineRunInfo) -> str:
    failed = [s for s in info.steps if s.status == "FAILED"]
    head = f"pipeline run {info.id} of {info.pipeline!r} {info.status}"
    if not failed:
        return f"{head}: {info.error or 'no step failed'}"
    first = failed[0]
    last_line = (first.error or "").strip().splitlines()[-1:] or [""]
    return (
        f"{head}: step {first.name!r} failed ({last_line[0]}); "
        f"see `loopml pipelines show {info.id[:12]}` and continue with "
        f"`loopml pipelines resume {info.id[:12]}`"
    )


def _json_ready(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=repr))  # type: ignore[no-any-return]
