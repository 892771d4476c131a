"""Turn what a user types (a run id, ``churn@champion``, a prediction id...) into a node.

Accepted references, tried in this order:

* ``models:/churn/3``, ``models:/churn@champion``, ``churn@champion``: a model version;
* ``datasets:/customers/2``, ``dataset:customers/2``: a dataset version;
* ``churn/3`` or ``customers/2``: a model version or a dataset version (an error if both);
* ``type:id`` with a lineage node type (``run:...``, ``pipeline_run:...``, ``step_run:...``,
  ``feature_view:activity/2``, ``prediction:...``);
* 32 hex digits: a run, a pipeline run or a step run;
* 64 hex digits: a dataset version by its sha256 content digest;
* anything else: a prediction id from the prediction log.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from loopml.lineage import facts
from loopml.lineage.errors import AmbiguousReference, LineageNotFound
from loopml.lineage.graph import LineageEdge, LineageNode, key
from loopml.store.tables import data as dt, models as mt, pipelines as pt, tracking as tt

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.lineage.predictions import PredictionIndex
    from loopml.store import Store

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_VERSIONED = re.compile(r"^(?P<name>[^@/]+(?:/[^@/]+)*)/(?P<version>\d+)$")
_ALIAS = re.compile(r"^(?P<name>[^@]+)@(?P<alias>[^@/]+)$")
NODE_TYPES = (
    "run",
    "pipeline_run",
    "step_run",
    "model_version",
    "dataset_version",
    "feature_view",
    "prediction",
)

Resolved = tuple[LineageNode, list[LineageEdge], list[LineageNode]]


def resolve(store: Store, reference: str, index: PredictionIndex | None) -> Resolved:
    """Return the node ``reference`` names, plus edges and nodes known from resolving it.

    Raises:
        LineageNotFound: nothing has this id.
        AmbiguousReference: ``name/N`` is both a model version and a dataset version.
    """
    text = reference.strip()
    if not text:
        raise LineageNotFound(
            "an empty reference names nothing; pass a run id, a model version "
            "(churn/3, churn@champion), a dataset version or a prediction id"
        )
    prediction = _prediction_id(text)
    if prediction is not None:  # no database round trip before the log lookup
        return _prediction(store, prediction, index)
    with store.db.read() as conn:
        node_type, node_id = _classify(conn, text)
    if node_type == "prediction":
        return _prediction(store, node_id, index)
    with store.db.read() as conn:
        nodes, edges = facts.describe(conn, node_type, [node_id])
    root = next((n for n in nodes if n.key == key(node_type, node_id)), None)
    if root is None:
        raise LineageNotFound(
            f"no {node_type.replace('_', ' ')} {node_id!r} in this store; {_HINT}"
        )
    return root, edges, [n for n in nodes if n.key != root.key]


_HINT = (
    "pass a run id, a pipeline run id, a model version (churn/3, churn@champion), "
    "a dataset version (datasets:/name/2) or a prediction id"
)


def _prediction_id(text: str) -> str | None:
    """The prediction id ``text`` names when no other reference form matches it (pure)."""
    if text.startswith("prediction:"):
        return text.removeprefix("prediction:")
    if text.startswith(("models:/", "datasets:/", "dataset:")):
        return None
    node_type, sep, _ = text.partition(":")
    if sep and node_type in NODE_TYPES:
        return None
    patterns = (_ALIAS, _VERSIONED, _HEX32, _HEX64)
    return None if any(p.match(text) for p in patterns) else text


def _classify(conn: Connection, text: str) -> tuple[str, str]:
    if text.startswith("models:/"):
        return "model_version", _model(conn, text.removeprefix("models:/"))
    if text.startswith(("datasets:/", "dataset:")):
        rest = text.removeprefix("datasets:/").removeprefix("dataset:")
        return "dataset_version", _dataset(conn, rest)
    node_type, sep, node_id = text.partition(":")
    if sep and node_type in NODE_TYPES:
        if node_type == "model_version":
            return node_type, _model(conn, node_id)
        if node_type == "dataset_version":
            return node_type, _dataset(conn, node_id)
        return node_type, node_id
    if _ALIAS.match(text):
        return "model_version", _model(conn, text)
    if _VERSIONED.match(text):
        return _versioned(conn, text)
    if _HEX32.match(text):
        return _hex_id(conn, text)
    if _HEX64.match(text):
        return "dataset_version", _dataset_by_digest(conn, text)
    return "prediction", text


def _model(conn: Connection, text: str) -> str:
    alias = _ALIAS.match(text)
    if alias:
        name, label = alias["name"], alias["alias"]
        if label == "latest":
            version = conn.execute(
                select(mt.registered_models.c.latest_version).where(
                    mt.registered_models.c.name == name
                )
            ).scalar()
        else:
            version = conn.execute(
                select(mt.model_aliases.c.version).where(
                    mt.model_aliases.c.name == name, mt.model_aliases.c.alias == label
                )
            ).scalar()
        if version is None:
            raise LineageNotFound(
                f"model {name!r} has no alias {label!r}; list aliases with "
                f"'loopml models show {name}'"
            )
        return f"{name}/{version}"
    if not _VERSIONED.match(text):
        raise LineageNotFound(f"{text!r} is not a model version; write name/version or name@alias")
    return text


def _dataset(conn: Connection, text: str) -> str:
    match = _VERSIONED.match(text)
    if match is None:
        raise LineageNotFound(f"{text!r} is not a dataset version; write datasets:/name/version")
    return text


def _versioned(conn: Connection, text: str) -> tuple[str, str]:
    match = _VERSIONED.match(text)
    assert match is not None
    name, version = match["name"], int(match["version"])
    is_model = (
        conn.execute(
            select(mt.model_versions.c.version).where(
                mt.model_versions.c.name == name, mt.model_versions.c.version == version
            )
        ).first()
        is not None
    )
    is_dataset = (
        conn.execute(
            select(dt.dataset_versions.c.id)
            .join(dt.datasets, dt.datasets.c.id == dt.dataset_versions.c.dataset_id)
            .where(dt.datasets.c.name == name, dt.dataset_versions.c.version == version)
        ).first()
        is not None
    )
    if is_model and is_dataset:
        raise AmbiguousReference(
            f"{text!r} is both a model version and a dataset version; write models:/{text} "
            f"or datasets:/{text}"
        )
    if is_dataset:
        return "dataset_version", text
    if is_model:
        return "model_version", text
    raise LineageNotFound(f"no model version or dataset version {text!r} in this store; {_HINT}")


def _hex_id(conn: Connection, text: str) -> tuple[str, str]:
    for node_type, table in (
        ("run", tt.runs),
        ("pipeline_run", pt.pipeline_runs),
        ("step_run", pt.step_runs),
    ):
        if conn.execute(select(table.c.id).where(table.c.id == text)).first() is not None:
            return node_type, text
    raise LineageNotFound(f"no run, pipeline run or step run has id {text!r}; {_HINT}")


def _dataset_by_digest(conn: Connection, digest: str) -> str:
    row = conn.execute(
        select(dt.datasets.c.name, dt.dataset_versions.c.version)
        .join(dt.datasets, dt.datasets.c.id == dt.dataset_versions.c.dataset_id)
        .where(dt.dataset_versions.c.digest == digest)
        .order_by(dt.dataset_versions.c.id)
    ).first()
    if row is None:
        raise LineageNotFound(f"no dataset version has sha256 {digest}; {_HINT}")
    return f"{row.name}/{row.version}"


def _prediction(store: Store, prediction_id: str, index: PredictionIndex | None) -> Resolved:
    row = index.find(prediction_id) if index is not None else None
    if row is None:
        raise LineageNotFound(
            f"no prediction {prediction_id!r} in the prediction log, and no "
            f"other node has this id; {_HINT}"
        )
    time = row["time"]
    facts_of = {**row, "time": time.isoformat() if hasattr(time, "isoformat") else time}
    node = LineageNode(
        "prediction",
        prediction_id,
        f"prediction {prediction_id} = {row.get('prediction')!r}",
        facts_of,
    )
    deployment = LineageNode(
        "deployment", str(row["deployment"]), f"deployment {row['deployment']}", {}
    )
    model_id = f"{row['model_name']}/{row['model_version']}"
    edges = [
        LineageEdge(deployment.key, "answered", node.key),
        LineageEdge(key("model_version", model_id), "served_by", deployment.key),
    ]
    return node, edges, [deployment]
