"""Turn run-lifecycle events (:mod:`loopml.store.hooks`) into OpenLineage run events.

The client registers an :class:`OpenLineageEmitter` on its store when
``LOOPML_OPENLINEAGE_URL`` is set; without it nothing is registered and nothing runs.
A tracked run's event reads the run's row and lineage edges (inputs: dataset versions
it used; outputs: dataset versions it produced, model versions registered from it and
model packages it logged); step events carry their artifact digests.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml.lineage.openlineage import events as ev
from loopml.lineage.openlineage.transports import open_transport
from loopml.store.tables import core, data as dt, models as mt, pipelines as pt, tracking as tt

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.lineage.openlineage.transports import Transport
    from loopml.store import Store
    from loopml.store.hooks import LifecycleEvent

logger = logging.getLogger(__name__)

_JOB_TYPES = {"run": "RUN", "pipeline_run": "PIPELINE", "step_run": "TASK"}


@cache
def producer() -> str:
    """The ``producer`` URI of every event (loopml and its version)."""
    try:
        version = metadata.version("loopml")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"https://pypi.org/project/loopml/{version}/"


class OpenLineageEmitter:
    """A lifecycle listener that sends OpenLineage events through one transport.

    Args:
        store: the store whose runs are described.
        transport: where events go.
    """

    def __init__(self, store: Store, transport: Transport) -> None:
        self.store = store
        self.transport = transport
        url = store.blobs.backend.url
        self.namespace = url if "://" in url else f"file://{url}"

    def __repr__(self) -> str:
        return f"OpenLineageEmitter({self.transport.url!r})"

    def __call__(self, event: LifecycleEvent) -> None:
        """Build the OpenLineage event for ``event`` and send it."""
        self.transport.send(self.build(event))

    def build(self, event: LifecycleEvent) -> dict[str, Any]:
        """Return the OpenLineage RunEvent for a lifecycle event."""
        if event.kind == "run":
            return self._tracked_run(event)
        return self._pipeline_event(event)

    # ------------------------------------------------------------------ tracked runs
    def _tracked_run(self, event: LifecycleEvent) -> dict[str, Any]:
        made = producer()
        with self.store.db.read() as conn:
            row = conn.execute(select(tt.runs).where(tt.runs.c.id == event.id)).first()
            inputs, outputs = ([], []) if event.state == "START" else self._run_data(conn, event.id)
            parent = self._run_parent(conn, row) if row is not None else None
        run_facets: dict[str, Any] = {}
        job_facets: dict[str, Any] = {}
        if parent is not None:
            run_facets["parent"] = ev.parent_facet(made, *parent)
        if row is not None and row.error and event.state == "FAIL":
            run_facets["errorMessage"] = ev.error_facet(made, row.error)
        if row is not None and row.git_commit:
            source = row.source or row.name
            job_facets["sourceCodeLocation"] = ev.source_facet(
                made, source, row.git_commit, row.git_branch
            )
        return ev.run_event(
            producer=made,
            state=event.state,
            time_ms=event.time_ms,
            run_id=event.id,
            job_name=event.name,
            job_type=_JOB_TYPES[event.kind],
            run_facets=run_facets,
            job_facets=job_facets,
            inputs=[ev.as_input(d) for d in inputs],
            outputs=[ev.as_output(d) for d in outputs],
        )

    def _run_parent(self, conn: Connection, row: Any) -> tuple[str, str] | None:
        if row.parent_id:
            experiment = conn.execute(
                select(tt.experiments.c.name)
                .join(tt.runs, tt.runs.c.experiment_id == tt.experiments.c.id)
                .where(tt.runs.c.id == row.parent_id)
            ).scalar()
            return row.parent_id, str(experiment or "default")
        step = conn.execute(
            select(pt.step_runs.c.id, pt.step_runs.c.name, pt.pipeline_runs.c.pipeline)
            .join(pt.pipeline_runs, pt.pipeline_runs.c.id == pt.step_runs.c.pipeline_run_id)
            .where(pt.step_runs.c.run_id == row.id)
        ).first()
        if step is not None:
            return step.id, f"{step.pipeline}.{step.name}"
        if row.pipeline_run_id:
            pipeline = conn.execute(
                select(pt.pipeline_runs.c.pipeline).where(
                    pt.pipeline_runs.c.id == row.pipeline_run_id
                )
            ).scalar()
            return row.pipeline_run_id, str(pipeline or "pipeline")
        return None

    def _run_data(self, conn: Connection, run_id: str) -> tuple[list[Any], list[Any]]:
        edges = core.lineage_edges
        linked = conn.execute(
            select(edges.c.relation, edges.c.dst_type, edges.c.dst_id).where(
                edges.c.src_type == "run", edges.c.src_id == run_id
            )
        ).all()
        inputs = [
            self._dataset(conn, i) for r, t, i in linked if r == "used" and t == "dataset_version"
        ]
        outputs = [
            self._dataset(conn, i)
            for r, t, i in linked
            if r == "produced" and t == "dataset_version"
        ]
        versions = conn.execute(
            select(mt.model_versions.c.name, mt.model_versions.c.version).where(
                mt.model_versions.c.run_id == run_id
            )
        ).all()
        made = producer()
        outputs += [ev.dataset(made, self.namespace, f"models/{n}", str(v)) for n, v in versions]
        outputs += [
            ev.dataset(made, self.namespace, f"blobs/{i}", i)
            for r, t, i in linked
            if r == "produced" and t == "model_package"
        ]
        return [d for d in inputs if d], [d for d in outputs if d]

    def _dataset(self, conn: Connection, node_id: str) -> dict[str, Any]:
        name, _, version = node_id.rpartition("/")
        row = conn.execute(
            select(dt.dataset_versions.c.digest, dt.dataset_versions.c.columns)
            .join(dt.datasets, dt.datasets.c.id == dt.dataset_versions.c.dataset_id)
            .where(dt.datasets.c.name == name, dt.dataset_versions.c.version == int(version or 0))
        ).first()
        made = producer()
        if row is None:
            return ev.dataset(made, self.namespace, f"datasets/{name}")
        columns = {c["name"]: c["type"] for c in row.columns}
        return ev.dataset(made, self.namespace, f"datasets/{name}", row.digest, columns)

    # ------------------------------------------------------------------ pipelines
    def _pipeline_event(self, event: LifecycleEvent) -> dict[str, Any]:
        made = producer()
        details = event.details
        run_facets: dict[str, Any] = {}
        if event.parent is not None:
            pipeline = event.name.rsplit(".", 1)[0]
            run_facets["parent"] = ev.parent_facet(made, event.parent[1], pipeline)
        if details.get("error") and event.state in {"FAIL", "ABORT"}:
            run_facets["errorMessage"] = ev.error_facet(made, str(details["error"]))
        inputs = [
            ev.dataset(made, self.namespace, f"blobs/{d}", d) for d in details.get("inputs") or []
        ]
        outputs = [
            ev.dataset(made, self.namespace, f"blobs/{o['digest']}", o["digest"])
            for o in details.get("outputs") or []
            if isinstance(o, dict) and o.get("digest")
        ]
        return ev.run_event(
            producer=made,
            state=event.state,
            time_ms=event.time_ms,
            run_id=event.id,
            job_name=event.name,
            job_type=_JOB_TYPES[event.kind],
            run_facets=run_facets,
            inputs=[ev.as_input(d) for d in inputs],
            outputs=[ev.as_output(d) for d in outputs],
        )


def emitter_for(store: Store, url: str) -> OpenLineageEmitter:
    """Return an emitter for ``store`` sending to ``url`` (see :func:`open_transport`)."""
    return OpenLineageEmitter(store, open_transport(url))
