"""What a study looks like: trials as rows, the optimization history as data and SVG.

:func:`history` returns the plot's data (for the web UI to draw its own way) and
:func:`history_svg` draws it as a self-contained SVG (for ``loopml tune show --html``
and HTML reports). Both are pure functions of a :class:`StudySummary`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml.training.errors import StudyNotFound
from loopml.training.worker import RUN_ATTR

if TYPE_CHECKING:
    from optuna.storages import RDBStorage


@dataclass(frozen=True, slots=True)
class TrialRow:
    """One trial of a study."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    run_id: str | None
    intermediate: dict[int, float] = field(default_factory=dict)
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class StudySummary:
    """A study: its direction, its trials and its best trial."""

    name: str
    directions: list[str]
    run_id: str | None
    trials: list[TrialRow]
    best: TrialRow | None


def list_studies(storage: RDBStorage) -> list[str]:
    """Return the names of the studies in ``storage``."""
    import optuna

    summaries = optuna.get_all_study_summaries(storage, include_best_trial=False)
    return sorted(s.study_name for s in summaries)


def load_summary(storage: RDBStorage, name: str) -> StudySummary:
    """Return the trials of study ``name``.

    Raises:
        StudyNotFound: no study has this name.
    """
    import optuna

    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError as err:
        known = list_studies(storage)
        raise StudyNotFound(f"no study {name!r} in this store; studies: {known or 'none'}") from err
    rows = [_row(t) for t in study.get_trials(deepcopy=False)]
    complete = [r for r in rows if r.state == "COMPLETE" and r.value is not None]
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    best = None
    if complete:
        pick = max if maximize else min
        best = pick(complete, key=lambda r: r.value if r.value is not None else math.nan)
    return StudySummary(
        name=name,
        directions=[d.name.lower() for d in study.directions],
        run_id=study.user_attrs.get(RUN_ATTR),
        trials=rows,
        best=best,
    )


def _row(trial: Any) -> TrialRow:
    duration = trial.duration.total_seconds() if trial.duration is not None else None
    return TrialRow(
        number=trial.number,
        state=trial.state.name,
        value=trial.values[0] if trial.values else None,
        params=dict(trial.params),
        run_id=trial.user_attrs.get(RUN_ATTR),
        intermediate={int(k): float(v) for k, v in trial.intermediate_values.items()},
        duration_s=duration,
    )


def history(summary: StudySummary) -> dict[str, Any]:
    """Return the optimization history: each trial's value and the best value so far."""
    maximize = bool(summary.directions) and summary.directions[0] == "maximize"
    points, best_so_far = [], []
    best: float | None = None
    for row in sorted(summary.trials, key=lambda r: r.number):
        if row.state != "COMPLETE" or row.value is None or not math.isfinite(row.value):
            continue
        if best is None or (row.value > best if maximize else row.value < best):
            best = row.value
        points.append({"trial": row.number, "value": row.value})
        best_so_far.append({"trial": row.number, "value": best})
    return {
        "study": summary.name,
        "direction": summary.directions[0] if summary.directions else "minimize",
        "points": points,
        "best": best_so_far,
        "pruned": [r.number for r in summary.trials if r.state == "PRUNED"],
    }


def history_svg(summary: StudySummary, width: int = 640, height: int = 320) -> str:
    """Draw the optimization history (trial values as dots, best so far as a line) as SVG."""
    data = history(summary)
    pad = 48
    title = html.escape(f"{summary.name}: objective per trial ({data['direction']})")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}">',
        f'<text x="{pad}" y="20" font-family="sans-serif" font-size="13">{title}</text>',
    ]
    points = data["points"]
    if not points:
        empty = "no completed trial yet"
        parts.append(f'<text x="{pad}" y="{height // 2}" font-family="sans-serif">{empty}</text>')
        return "".join([*parts, "</svg>"])
    xs = [p["trial"] for p in points]
    ys = [p["value"] for p in points]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1)
    y0, y1 = min(ys), max(ys)
    if y0 == y1:
        y0, y1 = y0 - 1, y1 + 1

    def sx(x: float) -> float:
        return float(pad + (x - x0) / (x1 - x0) * (width - 2 * pad))

    def sy(y: float) -> float:
        return float(height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad))

    font = 'font-size="11" font-family="sans-serif"'
    base = height - pad
    parts += [
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#888"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{base}" stroke="#888"/>',
        f'<text x="{pad}" y="{base + 16}" {font}>{x0}</text>',
        f'<text x="{width - pad}" y="{base + 16}" {font} text-anchor="end">trial {x1}</text>',
        f'<text x="{pad - 4}" y="{sy(y1)}" {font} text-anchor="end">{y1:.4g}</text>',
        f'<text x="{pad - 4}" y="{sy(y0)}" {font} text-anchor="end">{y0:.4g}</text>',
    ]
    for point in points:
        parts.append(
            f'<circle cx="{sx(point["trial"]):.1f}" cy="{sy(point["value"]):.1f}" r="3" '
            f'fill="#4c78a8"><title>trial {point["trial"]}: {point["value"]:.6g}</title></circle>'
        )
    line = " ".join(f"{sx(p['trial']):.1f},{sy(p['value']):.1f}" for p in data["best"])
    parts.append(f'<polyline points="{line}" fill="none" stroke="#e45756" stroke-width="2"/>')
    return "".join([*parts, "</svg>"])


def html_report(summary: StudySummary) -> str:
    """Return a self-contained HTML page: best trial, the history plot and every trial."""
    best = summary.best
    rows = "".join(_html_row(r) for r in summary.trials)
    if best is not None and best.value is not None:
        params = html.escape(str(best.params))
        best_text = (
            f"trial {best.number}: value {best.value:.6g}, params {params}, run {best.run_id}"
        )
    else:
        best_text = "no completed trial yet"
    name = html.escape(summary.name)
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}"
    )
    header = "<tr><th>trial</th><th>state</th><th>value</th><th>params</th><th>run</th></tr>"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>study {name}</title>"
        f"<style>{style}</style></head><body><h1>Study {name}</h1><p>Best: {best_text}</p>"
        f"{history_svg(summary)}<table>{header}{rows}</table></body></html>"
    )


def _html_row(row: TrialRow) -> str:
    value = "" if row.value is None else f"{row.value:.6g}"
    cells = [str(row.number), row.state, value, html.escape(str(row.params)), row.run_id or ""]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
