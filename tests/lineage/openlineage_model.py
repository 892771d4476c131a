"""Check an emitted event against the official OpenLineage model (openlineage-python).

openlineage-python ships the spec as classes generated from the official JSON schemas
(``openlineage.client.generated``): required fields, enums, UUID and date-time checks and
the schema URL of every facet version. :func:`check_event` rebuilds an emitted dict
through those classes (an unknown or missing field raises), checks every ``schemaURL``
names the official spec, and that serializing the rebuilt event gives the same dict.
"""

from __future__ import annotations

from typing import Any

from openlineage.client.generated import (
    base,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.serde import Serde

RUN_FACETS: dict[str, Any] = {
    "parent": parent_run.ParentRunFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
}
JOB_FACETS: dict[str, Any] = {
    "jobType": job_type_job.JobTypeJobFacet,
    "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet,
}
DATASET_FACETS: dict[str, Any] = {
    "schema": schema_dataset.SchemaDatasetFacet,
    "version": dataset_version_dataset.DatasetVersionDatasetFacet,
}


def _facet(kind: Any, body: dict[str, Any]) -> Any:
    fields = {k: v for k, v in body.items() if not k.startswith("_")}
    if kind is parent_run.ParentRunFacet:
        fields["run"] = parent_run.Run(**fields["run"])
        fields["job"] = parent_run.Job(**fields["job"])
    if kind is schema_dataset.SchemaDatasetFacet:
        fields["fields"] = [schema_dataset.SchemaDatasetFacetFields(**f) for f in fields["fields"]]
    built = kind(**fields, producer=body["_producer"])
    assert body["_schemaURL"] == built._get_schema(), body["_schemaURL"]
    return built


def _facets(table: dict[str, Any], bodies: dict[str, Any]) -> dict[str, Any]:
    unknown = set(bodies) - set(table)
    assert not unknown, f"facets outside the checked set: {unknown}"
    return {name: _facet(table[name], body) for name, body in bodies.items()}


def _datasets(kind: Any, bodies: list[dict[str, Any]]) -> list[Any]:
    extra = "inputFacets" if kind is base.InputDataset else "outputFacets"
    built = []
    for body in bodies:
        assert set(body) == {"namespace", "name", "facets", extra}, body
        assert "://" in body["namespace"], body["namespace"]
        facets = _facets(DATASET_FACETS, body["facets"])
        built.append(kind(namespace=body["namespace"], name=body["name"], facets=facets))
    return built


def check_event(event: dict[str, Any]) -> Any:
    """Rebuild ``event`` through the official model; raise if it does not conform."""
    assert set(event) == {
        "eventType",
        "eventTime",
        "producer",
        "schemaURL",
        "run",
        "job",
        "inputs",
        "outputs",
    }
    built = base.RunEvent(
        eventTime=event["eventTime"],
        producer=event["producer"],
        eventType=base.EventType(event["eventType"]),
        run=base.Run(
            runId=event["run"]["runId"], facets=_facets(RUN_FACETS, event["run"]["facets"])
        ),
        job=base.Job(
            namespace=event["job"]["namespace"],
            name=event["job"]["name"],
            facets=_facets(JOB_FACETS, event["job"]["facets"]),
        ),
        inputs=_datasets(base.InputDataset, event["inputs"]),
        outputs=_datasets(base.OutputDataset, event["outputs"]),
    )
    assert event["schemaURL"] == built.schemaURL
    rebuilt = _pruned(Serde.to_dict(built))
    assert rebuilt == _pruned(event), (rebuilt, event)
    return built


def _pruned(value: Any) -> Any:
    """Drop empty optional collections (the model fills them in; the spec allows absence)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in ([], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value
