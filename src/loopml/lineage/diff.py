"""Compare two runs, model versions or dataset versions: code, environment, data, params, metrics.

Two model versions are compared through their training runs (plus the model facts);
two dataset versions by content (:meth:`loopml.data.Datasets.diff_versions`) and facts.
Each section is a list of rows ``(key, a, b, changed)``; the environment section diffs
the captured package locks line by line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml.data import Datasets
from loopml.lineage import facts
from loopml.lineage.errors import LineageNotFound
from loopml.lineage.resolve import resolve
from loopml.store.tables import core, tracking as tt

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.lineage.graph import LineageNode
    from loopml.lineage.predictions import PredictionIndex
    from loopml.store import Store

SECTIONS = ("model", "code", "environment", "data", "params", "metrics")


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One compared value."""

    key: str
    a: Any
    b: Any

    @property
    def changed(self) -> bool:
        """Whether the two sides differ."""
        return bool(self.a != self.b)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two things side by side, section by section."""

    a: str
    b: str
    kind: str
    sections: dict[str, list[DiffRow]] = field(default_factory=dict)

    @property
    def differences(self) -> dict[str, list[DiffRow]]:
        """Only the rows that differ, by section."""
        return {s: [r for r in rows if r.changed] for s, rows in self.sections.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``loopml diff A B --json``)."""
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "sections": {
                name: [{"key": r.key, "a": r.a, "b": r.b, "changed": r.changed} for r in rows]
                for name, rows in self.sections.items()
            },
        }


def compare(store: Store, a: str, b: str, index: PredictionIndex | None = None) -> Comparison:
    """Return ``a`` and ``b`` side by side.

    Raises:
        LineageNotFound: a reference names nothing, or the two are of different kinds.
    """
    node_a, node_b = resolve(store, a, index)[0], resolve(store, b, index)[0]
    kinds = {node_a.type, node_b.type}
    if len(kinds) != 1 or node_a.type not in {"run", "model_version", "dataset_version"}:
        raise LineageNotFound(
            f"diff compares two runs, two model versions or two dataset versions; got a "
            f"{node_a.type.replace('_', ' ')} and a {node_b.type.replace('_', ' ')}"
        )
    comparison = Comparison(a, b, node_a.type)
    if node_a.type == "dataset_version":
        _datasets(store, node_a, node_b, comparison)
        return comparison
    run_a, run_b = node_a, node_b
    if node_a.type == "model_version":
        comparison.sections["model"] = _rows(node_a.attributes, node_b.attributes, _MODEL)
        run_a = _run_of(store, node_a)
        run_b = _run_of(store, node_b)
    _runs(store, run_a, run_b, comparison)
    return comparison


_MODEL = ("name", "version", "digest", "flavor", "aliases", "run_id", "metrics")
_CODE = ("git_commit", "git_branch", "git_dirty", "git_diff_digest", "source", "seed")
_ENV = ("python_version", "platform", "env_digest")


def _rows(a: dict[str, Any], b: dict[str, Any], keys: tuple[str, ...] | list[str]) -> list[DiffRow]:
    return [DiffRow(k, a.get(k), b.get(k)) for k in keys]


def _run_of(store: Store, model: LineageNode) -> LineageNode:
    run_id = model.attributes.get("run_id")
    if not run_id:
        raise LineageNotFound(f"{model.label} was not registered from a run; nothing to compare")
    with store.db.read() as conn:
        nodes, _ = facts.describe(conn, "run", [str(run_id)])
    found = [n for n in nodes if n.type == "run"]
    if not found:
        raise LineageNotFound(f"the run {run_id} of {model.label} was deleted")
    return found[0]


def _runs(store: Store, a: LineageNode, b: LineageNode, comparison: Comparison) -> None:
    comparison.sections["code"] = _rows(a.attributes, b.attributes, _CODE)
    environment = _rows(a.attributes, b.attributes, _ENV)
    environment += _packages(store, a.attributes.get("env_digest"), b.attributes.get("env_digest"))
    comparison.sections["environment"] = environment
    with store.db.read() as conn:
        data_a, data_b = _data(conn, a.id), _data(conn, b.id)
        params_a, params_b = _params(conn, a.id), _params(conn, b.id)
        metrics_a, metrics_b = _metrics(conn, a.id), _metrics(conn, b.id)
    comparison.sections["data"] = _rows(data_a, data_b, sorted({*data_a, *data_b}))
    comparison.sections["params"] = _rows(params_a, params_b, sorted({*params_a, *params_b}))
    comparison.sections["metrics"] = _rows(metrics_a, metrics_b, sorted({*metrics_a, *metrics_b}))


def _packages(store: Store, a: str | None, b: str | None) -> list[DiffRow]:
    if not a or not b or a == b:
        return []
    locks = [_lock(store, digest) for digest in (a, b)]
    names = sorted({*locks[0], *locks[1]})
    return [
        DiffRow(f"package {n}", locks[0].get(n), locks[1].get(n))
        for n in names
        if locks[0].get(n) != locks[1].get(n)
    ]


def _lock(store: Store, digest: str) -> dict[str, str]:
    try:
        text = store.blobs.get_bytes(digest).decode()
    except Exception:  # a deleted or unreadable lock reads as empty, and shows as a difference
        return {}
    pins = {}
    for line in text.splitlines():
        name, _, version = line.partition("==")
        if name.strip():
            pins[name.strip().lower()] = version.strip()
    return pins


def _data(conn: Connection, run_id: str) -> dict[str, Any]:
    edges = core.lineage_edges
    rows = conn.execute(
        select(edges.c.relation, edges.c.dst_id).where(
            edges.c.src_type == "run",
            edges.c.src_id == run_id,
            edges.c.dst_type == "dataset_version",
        )
    ).all()
    used = [r.dst_id for r in rows]
    nodes, _ = facts.describe(conn, "dataset_version", used)
    found: dict[str, Any] = {}
    for relation, node_id in rows:
        name = node_id.rpartition("/")[0]
        node = next((n for n in nodes if n.id == node_id), None)
        digest = node.attributes.get("sha256") if node else None
        found[f"{relation} {name}"] = f"v{node_id.rpartition('/')[2]} sha256:{(digest or '?')[:12]}"
    return found


def _params(conn: Connection, run_id: str) -> dict[str, Any]:
    rows = conn.execute(
        select(tt.params.c.key, tt.params.c.value).where(tt.params.c.run_id == run_id)
    )
    return {str(k): v for k, v in rows.all()}


def _metrics(conn: Connection, run_id: str) -> dict[str, Any]:
    rows = conn.execute(
        select(tt.latest_metrics.c.key, tt.latest_metrics.c.value).where(
            tt.latest_metrics.c.run_id == run_id
        )
    )
    return {str(k): v for k, v in rows.all()}


def _datasets(store: Store, a: LineageNode, b: LineageNode, comparison: Comparison) -> None:
    keys = ("name", "version", "sha256", "rows", "source", "run_id")
    comparison.sections["data"] = _rows(a.attributes, b.attributes, keys)
    datasets = Datasets(store)
    old = datasets.get_version(str(a.attributes["name"]), int(a.attributes["version"]))
    new = datasets.get_version(str(b.attributes["name"]), int(b.attributes["version"]))
    content = datasets.diff_versions(old, new)
    comparison.sections["schema"] = [
        DiffRow(f"column {c.name}", c.old_type, c.new_type) for c in content.columns
    ]
    comparison.sections["content"] = [
        DiffRow(f"column {c.name}", "", "changed" if c.content_changed else "")
        for c in content.columns
    ]
