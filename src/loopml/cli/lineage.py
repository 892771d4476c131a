"""``loopml lineage ID``: where a prediction, model, run or dataset came from, as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json

if TYPE_CHECKING:
    from rich.tree import Tree

    from loopml.lineage import Lineage

_FACTS = {
    "dataset_version": ("sha256", "rows", "source"),
    "run": ("experiment", "git_commit", "git_branch", "seed"),
    "git_commit": ("branch", "dirty"),
    "environment": ("lock_digest", "platform"),
    "model_version": ("digest", "flavor"),
    "prediction": ("time", "model_name", "model_version", "score"),
    "pipeline_run": ("params", "target"),
    "step_run": ("function", "cache_key"),
}


def lineage(
    reference: str = typer.Argument(
        ..., help="Prediction id, run id, churn@champion, churn/3, datasets:/name/2 or sha256."
    ),
    direction: str = typer.Option("both", help="upstream, downstream or both."),
    depth: int = typer.Option(25, min=1, help="How many edges to follow each way."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show where something came from (upstream) and what came of it (downstream).

    Example: loopml lineage churn@champion --direction upstream
    """
    if direction not in {"upstream", "downstream", "both"}:
        raise typer.BadParameter(f"use upstream, downstream or both, not {direction!r}")
    graph = lm.lineage(reference, direction=direction, depth=depth)  # type: ignore[arg-type]
    if as_json:
        print_json(graph.to_dict())
        return
    console.print(render(graph))


def render(graph: Lineage) -> Tree:
    """Return the lineage as a rich tree: the root, its upstream and downstream branches."""
    from rich.tree import Tree

    root = Tree(f"[bold]{graph.root_node.label}[/bold]{_facts(graph, graph.root)}")
    if graph.upstream:
        _branch(root.add("[cyan]upstream[/cyan]"), graph, graph.root, graph.parents, set())
    if graph.downstream:
        _branch(root.add("[magenta]downstream[/magenta]"), graph, graph.root, graph.children, set())
    return root


def _branch(tree: Tree, graph: Lineage, node_key: str, step: Any, seen: set[str]) -> None:
    for other in step(node_key):
        if other not in graph.nodes:
            continue
        node = graph.nodes[other]
        if other in seen:
            tree.add(f"[dim]{node.label} (above)[/dim]")
            continue
        seen.add(other)
        _branch(tree.add(f"{node.label}{_facts(graph, other)}"), graph, other, step, seen)


def _facts(graph: Lineage, node_key: str) -> str:
    node = graph.nodes[node_key]
    shown = [
        f"{name}={node.attributes[name]}"
        for name in _FACTS.get(node.type, ())
        if node.attributes.get(name) not in (None, "", [], {})
    ]
    return f" [dim]{' '.join(shown)}[/dim]" if shown else ""
