"""Tables of runs and metric histories as pandas DataFrames.

pandas is imported inside these functions: a run can start and log without paying for
pandas, which only a caller asking for a DataFrame needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.tracking.entities import RunInfo

RUN_COLUMNS = (
    "run_id",
    "experiment",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration_s",
    "user",
    "parent_id",
    "pipeline_run_id",
    "step_name",
    "git_commit",
    "git_branch",
    "git_dirty",
    "seed",
)


def runs_frame(runs: Sequence[RunInfo]) -> Any:
    """One row per run: attributes, then ``params.*``, ``metrics.*`` and ``tags.*`` columns."""
    import pandas as pd

    param_keys = sorted({k for r in runs for k in r.params})
    metric_keys = sorted({k for r in runs for k in r.metrics})
    tag_keys = sorted({k for r in runs for k in r.tags})
    data: dict[str, list[Any]] = {c: [] for c in RUN_COLUMNS}
    for run in runs:
        data["run_id"].append(run.id)
        for column in RUN_COLUMNS[1:]:
            if column not in {"run_id", "duration_s"}:
                data[column].append(getattr(run, column))
        data["duration_s"].append(run.duration_s)
    for prefix, keys, attribute in (
        ("params", param_keys, "params"),
        ("metrics", metric_keys, "metrics"),
        ("tags", tag_keys, "tags"),
    ):
        for key in keys:
            data[f"{prefix}.{key}"] = [getattr(r, attribute).get(key) for r in runs]
    frame = pd.DataFrame(data)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    for key in metric_keys:
        frame[f"metrics.{key}"] = frame[f"metrics.{key}"].astype("float64")
    return frame


def history_frame(history: tuple[Any, Any, Any]) -> Any:
    """A metric history as columns ``step``, ``timestamp`` (UTC datetimes) and ``value``."""
    import pandas as pd

    steps, stamps, values = history
    return pd.DataFrame(
        {
            "step": steps,
            "timestamp": pd.to_datetime(stamps, unit="ms", utc=True),
            "value": values,
        }
    )


def compare_frame(runs: Sequence[RunInfo]) -> Any:
    """Params and metrics side by side: one row per key, one column per run."""
    import pandas as pd

    rows: dict[str, dict[str, Any]] = {}
    for run in runs:
        column = f"{run.name} ({run.id[:8]})"
        for key, value in run.params.items():
            rows.setdefault(f"params.{key}", {})[column] = value
        for key, number in run.metrics.items():
            rows.setdefault(f"metrics.{key}", {})[column] = number
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame.sort_index()
