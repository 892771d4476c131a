"""The step graph of a pipeline, built by tracing which step outputs flow into which steps.

Inside ``@lm.pipeline`` a step call does not run the step: it records a node and returns
an :class:`OutputRef` placeholder. Passing that placeholder (alone, or inside lists, tuples
and dicts) to another step is what makes an edge, so the DAG needs no manual wiring.
Rendering (text and Mermaid) works on the JSON form, so stored runs render without code.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml.pipelines.errors import CycleError, PipelineDefinitionError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from loopml.pipelines.steps import Step

_BUILDER: ContextVar[GraphBuilder | None] = ContextVar("loopml_graph_builder", default=None)


class OutputRef:
    """A step output that does not exist yet: pass it to other steps inside a pipeline."""

    __slots__ = ("builder", "index", "node")

    def __init__(self, builder: GraphBuilder, node: int, index: int | None) -> None:
        self.builder = builder
        self.node = node
        self.index = index

    def __repr__(self) -> str:
        name = self.builder.nodes[self.node].step.name
        suffix = "" if self.index is None else f"[{self.index}]"
        return f"<output of step {name!r}{suffix}>"

    def __bool__(self) -> bool:
        raise PipelineDefinitionError(
            f"{self!r} has no value while the pipeline is being built, so it cannot be used in "
            "an `if`, `while` or `and`/`or`; move the decision into a step that receives it"
        )

    def __iter__(self) -> Iterator[Any]:
        step = self.builder.nodes[self.node].step
        raise PipelineDefinitionError(
            f"step {step.name!r} has a single output, so its result cannot be unpacked; declare "
            f"several with @lm.step(outputs=2) or annotate the return as tuple[A, B]"
        )

    def __len__(self) -> int:
        raise PipelineDefinitionError(f"len() of {self!r} is unknown until the pipeline runs")

    def __getitem__(self, key: object) -> Any:
        raise PipelineDefinitionError(
            f"{self!r} cannot be indexed while the pipeline is being built; pass it to a step "
            "and index it there"
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise PipelineDefinitionError(
            f"{self!r} has no attribute {name!r} while the pipeline is being built; pass it to a "
            "step and use it there"
        )


@dataclass(slots=True)
class Node:
    """One step call: the step, its bound arguments and the nodes it depends on."""

    position: int
    step: Step
    args: dict[str, Any]
    upstream: tuple[int, ...]
    name: str = ""


@dataclass(slots=True)
class Graph:
    """A traced pipeline: nodes in call order (a topological order) and its outputs."""

    nodes: list[Node]
    outputs: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.check_acyclic()

    def by_name(self, name: str) -> Node:
        """Return the node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise PipelineDefinitionError(
            f"no step {name!r} in this pipeline; steps: {[n.name for n in self.nodes]}"
        )

    def downstream(self) -> dict[int, list[int]]:
        """Map each node position to the positions that consume its outputs."""
        out: dict[int, list[int]] = {n.position: [] for n in self.nodes}
        for node in self.nodes:
            for up in node.upstream:
                out[up].append(node.position)
        return out

    def check_acyclic(self) -> None:
        """Raise :class:`CycleError` unless the edges form a DAG."""
        topological_order({n.position: n.upstream for n in self.nodes}, self._label)

    def _label(self, position: int) -> str:
        for node in self.nodes:
            if node.position == position:
                return node.name or node.step.name
        return str(position)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form stored with each pipeline run (and rendered by ``graph``)."""
        names = {n.position: n.name for n in self.nodes}
        return {
            "nodes": [
                {
                    "name": n.name,
                    "step": n.step.name,
                    "function": n.step.function,
                    "upstream": [names[u] for u in n.upstream],
                    "outputs": list(n.step.output_names),
                    "params": _describe_params(n.args),
                }
                for n in self.nodes
            ]
        }


def topological_order(edges: dict[int, tuple[int, ...]], label: Any = str) -> list[int]:
    """Return the nodes in dependency order (Kahn's algorithm).

    Raises:
        CycleError: the graph has a cycle (the message names the nodes on it).
        PipelineDefinitionError: an edge points at a node that does not exist.
    """
    for node, upstream in edges.items():
        for up in upstream:
            if up not in edges:
                raise PipelineDefinitionError(f"step {label(node)} depends on unknown step {up}")
    remaining: dict[int, set[int]] = {node: set(ups) for node, ups in edges.items()}
    order: list[int] = []
    ready = sorted(n for n, waiting in remaining.items() if not waiting)
    while ready:
        node = ready.pop(0)
        order.append(node)
        for other, waiting in remaining.items():
            if node in waiting:
                waiting.discard(node)
                if not waiting and other not in order and other not in ready:
                    ready.append(other)
    if len(order) != len(edges):
        stuck = sorted(label(n) for n in edges if n not in order)
        raise CycleError(
            f"the pipeline graph has a cycle through steps {stuck}; a step cannot depend, "
            "directly or indirectly, on its own output"
        )
    return order


class GraphBuilder:
    """Collects step calls while a pipeline function runs."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def add(self, step: Step, args: dict[str, Any]) -> Any:
        """Record a call of ``step`` with bound ``args``; return its output placeholder(s)."""
        upstream = tuple(sorted({ref.node for ref in iter_refs(args, self)}))
        node = Node(len(self.nodes), step, args, upstream)
        self.nodes.append(node)
        if step.n_outputs == 1:
            return OutputRef(self, node.position, None)
        return tuple(OutputRef(self, node.position, i) for i in range(step.n_outputs))

    def finish(self, outputs: Any, params: dict[str, Any]) -> Graph:
        """Name the nodes (``train``, or ``train[0]``, ``train[1]`` for repeated calls)."""
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.step.name] = counts.get(node.step.name, 0) + 1
        seen: dict[str, int] = {}
        for node in self.nodes:
            base = node.step.name
            index = seen.get(base, 0)
            seen[base] = index + 1
            node.name = base if counts[base] == 1 else f"{base}[{index}]"
        list(iter_refs(outputs, self))  # validates foreign references
        return Graph(self.nodes, outputs, params)


def current_builder() -> GraphBuilder | None:
    """Return the builder of the pipeline being traced in this context, if any."""
    return _BUILDER.get()


def trace(builder: GraphBuilder, fn: Any, kwargs: dict[str, Any]) -> Any:
    """Call the pipeline function ``fn`` with ``builder`` active; return what it returned."""
    token = _BUILDER.set(builder)
    try:
        return fn(**kwargs)
    finally:
        _BUILDER.reset(token)


def iter_refs(value: Any, builder: GraphBuilder) -> Iterator[OutputRef]:
    """Yield every :class:`OutputRef` inside ``value`` (lists, tuples, dicts, sets)."""
    if isinstance(value, OutputRef):
        if value.builder is not builder:
            raise PipelineDefinitionError(
                f"{value!r} comes from another pipeline build; outputs can only be passed between "
                "steps of the same pipeline run"
            )
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from iter_refs(item, builder)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_refs(item, builder)


def _describe_params(args: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, value in args.items():
        text = _describe(value)
        out[name] = text if len(text) <= 60 else text[:57] + "..."
    return out


def _describe(value: Any) -> str:
    if isinstance(value, OutputRef):
        node = value.builder.nodes[value.node]
        return (
            f"<{node.name or node.step.name}"
            + ("" if value.index is None else f".{node.step.output_names[value.index]}")
            + ">"
        )
    if isinstance(value, list | tuple):
        inner = ", ".join(_describe(v) for v in value[:4])
        return f"[{inner}{', ...' if len(value) > 4 else ''}] ({len(value)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_describe(v)}" for k, v in list(value.items())[:4]) + "}"
    return repr(value)


# ---------------------------------------------------------------------------- rendering
def render_text(spec: dict[str, Any], statuses: dict[str, str] | None = None) -> str:
    """Render a graph's JSON form as text: one line per step with what it consumes."""
    lines = []
    nodes = spec.get("nodes", [])
    width = max((len(n["name"]) for n in nodes), default=0)
    for i, node in enumerate(nodes, 1):
        status = f" [{statuses[node['name']]}]" if statuses and node["name"] in statuses else ""
        ups = node.get("upstream") or []
        source = f"  <- {', '.join(ups)}" if ups else ""
        lines.append(f"{i:>3}. {node['name']:<{width}}{status}{source}")
    return "\n".join(lines)


def render_mermaid(spec: dict[str, Any], statuses: dict[str, str] | None = None) -> str:
    """Render a graph's JSON form as a Mermaid flowchart."""
    ids = {n["name"]: f"s{i}" for i, n in enumerate(spec.get("nodes", []))}
    lines = ["flowchart TD"]
    for node in spec.get("nodes", []):
        label = node["name"].replace('"', "'")
        if statuses and node["name"] in statuses:
            label += f" ({statuses[node['name']]})"
        lines.append(f'    {ids[node["name"]]}["{label}"]')
    for node in spec.get("nodes", []):
        for up in node.get("upstream") or []:
            lines.append(f"    {ids[up]} --> {ids[node['name']]}")
    if statuses:
        classes = {"FAILED": "failed", "SUCCEEDED": "ok", "CACHED": "cached", "SKIPPED": "skipped"}
        lines += [
            "    classDef failed fill:#f8d7da",
            "    classDef ok fill:#d4edda",
            "    classDef cached fill:#d1ecf1",
            "    classDef skipped fill:#eeeeee",
        ]
        for name, status in statuses.items():
            if status in classes and name in ids:
                lines.append(f"    class {ids[name]} {classes[status]}")
    return "\n".join(lines)
