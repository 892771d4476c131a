"""Chart specifications for the UI's uPlot charts (pure: data in, JSON-ready dicts out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

Series = dict[str, Any]


def series(label: str, xs: Sequence[float], ys: Sequence[float | None]) -> Series:
    """One line: x values must increase (they are sorted here, keeping pairs together)."""
    pairs = sorted(zip(xs, ys, strict=True), key=lambda pair: pair[0])
    merged: dict[float, float | None] = {}
    for x, y in pairs:
        merged[x] = _finite(y)
    return {"label": label, "x": list(merged), "y": list(merged.values())}


def chart(
    title: str, lines: Sequence[Series], *, time: bool = False, xlabel: str | None = None
) -> dict[str, Any]:
    """A chart of one or more lines; ``time=True`` means x is epoch seconds."""
    spec: dict[str, Any] = {"title": title, "series": list(lines), "time": time}
    if xlabel is not None:
        spec["xlabel"] = xlabel
    return spec


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None
