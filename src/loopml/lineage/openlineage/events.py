"""Build OpenLineage 2-0-2 run events as plain dicts (pure: no I/O, no openlineage import).

Jobs live in one namespace (``loopml``): a tracked run's job is its experiment, a
pipeline run's job is the pipeline, a step's job is ``pipeline.step``. Datasets live in
the namespace of the artifact store (``file:///...``, ``s3://bucket``): dataset versions
as ``datasets/<name>`` with schema and version (sha256) facets, model versions as
``models/<name>`` (version facet: the registry version), step artifacts and model
packages as ``blobs/<sha256>``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

SPEC = "https://openlineage.io/spec"
RUN_EVENT = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_FACET = f"{SPEC}/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
VERSION_FACET = (
    f"{SPEC}/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
)
PARENT_FACET = f"{SPEC}/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
ERROR_FACET = f"{SPEC}/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
JOB_TYPE_FACET = f"{SPEC}/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
SOURCE_FACET = (
    f"{SPEC}/facets/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet"
)
JOB_NAMESPACE = "loopml"


def run_uuid(run_id: str) -> str:
    """Return the UUID form of a loopml id (32 hex digits), or a stable UUID of any other id."""
    try:
        return str(uuid.UUID(hex=run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"loopml:{run_id}"))


def iso_time(time_ms: int) -> str:
    """Return epoch milliseconds as an ISO 8601 UTC date-time."""
    moment = dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def facet(producer: str, schema_url: str, **fields: Any) -> dict[str, Any]:
    """Return a facet: its fields plus ``_producer`` and ``_schemaURL``."""
    return {"_producer": producer, "_schemaURL": schema_url, **fields}


def run_event(
    *,
    producer: str,
    state: str,
    time_ms: int,
    run_id: str,
    job_name: str,
    job_type: str,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return one RunEvent."""
    jobs = {
        "jobType": facet(
            producer,
            JOB_TYPE_FACET,
            processingType="BATCH",
            integration="LOOPML",
            jobType=job_type,
        ),
        **(job_facets or {}),
    }
    return {
        "eventType": state,
        "eventTime": iso_time(time_ms),
        "producer": producer,
        "schemaURL": RUN_EVENT,
        "run": {"runId": run_uuid(run_id), "facets": run_facets or {}},
        "job": {"namespace": JOB_NAMESPACE, "name": job_name, "facets": jobs},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def parent_facet(producer: str, run_id: str, job_name: str) -> dict[str, Any]:
    """Return a ParentRunFacet pointing at another loopml run."""
    return facet(
        producer,
        PARENT_FACET,
        run={"runId": run_uuid(run_id), "facets": {}},
        job={"namespace": JOB_NAMESPACE, "name": job_name, "facets": {}},
    )


def error_facet(producer: str, error: str) -> dict[str, Any]:
    """Return an ErrorMessageRunFacet (the last line as message, the rest as stack trace)."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    message = lines[-1] if lines else error
    return facet(
        producer, ERROR_FACET, message=message, programmingLanguage="python", stackTrace=error
    )


def source_facet(producer: str, source: str, commit: str, branch: str | None) -> dict[str, Any]:
    """Return a SourceCodeLocationJobFacet for code at ``source`` from git ``commit``."""
    fields: dict[str, Any] = {"type": "git", "url": _file_url(source), "version": commit}
    if branch:
        fields["branch"] = branch
    return facet(producer, SOURCE_FACET, **fields)


def dataset(
    producer: str,
    namespace: str,
    name: str,
    version: str | None = None,
    columns: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return a dataset (input or output) with version and schema facets."""
    facets: dict[str, Any] = {}
    if columns:
        fields = [{"name": column, "type": kind} for column, kind in columns.items()]
        facets["schema"] = facet(producer, SCHEMA_FACET, fields=fields)
    if version is not None:
        facets["version"] = facet(producer, VERSION_FACET, datasetVersion=version)
    return {"namespace": namespace, "name": name, "facets": facets}


def as_input(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` as an InputDataset (with its, empty, input facets)."""
    return {**data, "inputFacets": {}}


def as_output(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` as an OutputDataset (with its, empty, output facets)."""
    return {**data, "outputFacets": {}}


def _file_url(source: str) -> str:
    if "://" in source:
        return source
    return f"file://{source}" if source.startswith("/") else f"file:///{source}"
