"""Lay out a pipeline DAG for an SVG drawing (pure: layers by longest path from a root)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 170, 40, 60, 18, 10


@dataclass(frozen=True, slots=True)
class Box:
    """A step's box: name, status class and top-left corner."""

    name: str
    status: str
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Boxes, edges as SVG path data, and the drawing's size."""

    boxes: tuple[Box, ...]
    edges: tuple[str, ...]
    width: int
    height: int


def layout(upstream: Mapping[str, Sequence[str]], status: Mapping[str, str]) -> Layout:
    """Place each step in the column of its longest chain of upstream steps."""
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name in depth:
            return depth[name]
        parents = [p for p in upstream.get(name, ()) if p in upstream and p not in seen]
        found = 1 + max((depth_of(p, seen | {name}) for p in parents), default=-1)
        depth[name] = found
        return found

    columns: dict[int, list[str]] = {}
    for name in upstream:
        columns.setdefault(depth_of(name), []).append(name)
    where: dict[str, tuple[int, int]] = {}
    for column, names in columns.items():
        for row, name in enumerate(names):
            where[name] = (PAD + column * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
    boxes = tuple(Box(n, status.get(n, "pending"), *where[n]) for n in upstream)
    edges = []
    for name, parents in upstream.items():
        x2, y2 = where[name]
        for parent in parents:
            if parent not in where:
                continue
            x1, y1 = where[parent]
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H // 2, x2 - 4, y2 + NODE_H // 2
            mid = (sx + ex) // 2
            edges.append(f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}")
    width = PAD * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(v) for v in columns.values()), default=1) * (NODE_H + GAP_Y)
    return Layout(boxes, tuple(edges), width, height)
