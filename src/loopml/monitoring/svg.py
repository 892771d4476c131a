"""Tiny inline SVG charts for self-contained HTML reports (no JavaScript, no CDN)."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

REFERENCE_COLOUR = "#7f8c8d"
CURRENT_COLOUR = "#e67e22"
PALETTE = ("#2980b9", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#2c3e50")
WIDTH, HEIGHT, PAD = 520, 230, 44


def bars(
    labels: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    title: str,
) -> str:
    """Grouped bars of reference and current shares per bin or category."""
    n = max(len(labels), 1)
    top = max([*reference, *current, 1e-12])
    slot = (WIDTH - 2 * PAD) / n
    width = max(slot / 2 - 1, 1)
    parts = [_frame(title), _axis_y(top)]
    for i, (ref, cur) in enumerate(zip(reference, current, strict=True)):
        x = PAD + i * slot
        parts.append(
            _rect(x, ref, top, width, REFERENCE_COLOUR, f"{labels[i]}: reference {ref:.3f}")
        )
        parts.append(
            _rect(x + width, cur, top, width, CURRENT_COLOUR, f"{labels[i]}: current {cur:.3f}")
        )
    step = max(1, math.ceil(n / 10))
    for i in range(0, n, step):
        x = PAD + i * slot + slot / 2
        parts.append(_text(x, HEIGHT - PAD + 14, labels[i], anchor="middle", size=9))
    parts.append(_legend([("reference", REFERENCE_COLOUR), ("current", CURRENT_COLOUR)]))
    return _svg(parts)


Point = tuple[dt.datetime, float | None]


def lines(series: Mapping[str, Sequence[Point]], title: str, *, zero_based: bool = True) -> str:
    """A line chart of time series (one line per name), with points marked.

    A ``None`` value is a gap: the line stops there and starts again after it, so a
    window without data is never drawn as a straight line across. With ``zero_based``
    false the y-axis spans just the data (with a margin), so a small decay stays visible.
    """
    points = [(t, v) for values in series.values() for t, v in values if v is not None]
    if not points:
        return _svg([_frame(title), _text(WIDTH / 2, HEIGHT / 2, "no data", anchor="middle")])
    t0 = min(p[0] for p in points).timestamp()
    t1 = max(p[0] for p in points).timestamp()
    low, high = _y_range([v for _, v in points], zero_based)
    span_t = t1 - t0 or 1.0

    def xy(when: dt.datetime, value: float) -> tuple[float, float]:
        x = PAD + (when.timestamp() - t0) / span_t * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)
        return x, y

    parts = [_frame(title), _axis_y(high, low)]
    legend = []
    for i, (name, values) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        for run in _runs(sorted(values, key=lambda p: p[0])):
            coords = [xy(t, v) for t, v in run]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>'
            )
            for (x, y), (when, value) in zip(coords, run, strict=True):
                tip = html.escape(f"{name} {when:%Y-%m-%d %H:%M}: {value:.4g}")
                dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}">'
                parts.append(f"{dot}<title>{tip}</title></circle>")
        legend.append((name, colour))
    parts.append(
        _text(
            PAD, HEIGHT - PAD + 14, f"{dt.datetime.fromtimestamp(t0, dt.UTC):%m-%d %H:%M}", size=9
        )
    )
    end = f"{dt.datetime.fromtimestamp(t1, dt.UTC):%m-%d %H:%M}"
    parts.append(_text(WIDTH - PAD, HEIGHT - PAD + 14, end, anchor="end", size=9))
    parts.append(_legend(legend))
    return _svg(parts)


def _y_range(values: Sequence[float], zero_based: bool) -> tuple[float, float]:
    low, high = min(values), max(values)
    if zero_based:
        low = min(0.0, low)
    else:
        margin = (high - low) * 0.1 or abs(high) * 0.05 or 0.05
        low, high = low - margin, high + margin
    return low, (high if high > low else low + 1.0)


def _runs(values: Sequence[Point]) -> list[list[tuple[dt.datetime, float]]]:
    """Split a series at its gaps: ``None`` values and jumps over 1.5 typical steps."""
    steps = sorted((b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(values))
    typical = steps[len(steps) // 2] if steps else 0.0
    runs: list[list[tuple[dt.datetime, float]]] = [[]]
    previous: dt.datetime | None = None
    for when, value in values:
        jumped = (
            previous is not None
            and typical > 0
            and ((when - previous).total_seconds() > 1.5 * typical)
        )
        if (value is None or jumped) and runs[-1]:
            runs.append([])
        if value is not None:
            runs[-1].append((when, value))
        previous = when
    return [run for run in runs if run]


def _svg(parts: list[str]) -> str:
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{body}</svg>'
    )


def _frame(title: str) -> str:
    axes = (
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>'
    )
    return _text(WIDTH / 2, 15, title, anchor="middle", size=12, bold=True) + axes


def _axis_y(high: float, low: float = 0.0) -> str:
    return _text(PAD - 4, PAD + 4, f"{high:.3g}", anchor="end", size=9) + _text(
        PAD - 4, HEIGHT - PAD, f"{low:.3g}", anchor="end", size=9
    )


def _rect(x: float, value: float, top: float, width: float, colour: str, tip: str) -> str:
    height = value / top * (HEIGHT - 2 * PAD)
    y = HEIGHT - PAD - height
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{colour}">'
        f"<title>{html.escape(tip)}</title></rect>"
    )


def _legend(entries: Sequence[tuple[str, str]]) -> str:
    """One row of legend entries above the plot area, right-aligned."""
    out = []
    x = WIDTH - PAD
    for name, colour in reversed(entries):
        x -= 16 + 6 * len(name)
        out.append(f'<rect x="{x:.0f}" y="{PAD - 17}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(x + 13, PAD - 8, name, size=10))
        x -= 10
    return "".join(out)


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 11, bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' font-family="sans-serif"{weight}>{html.escape(text)}</text>'
    )
