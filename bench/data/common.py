"""Shared workload of the data benchmarks: a seeded table (numpy and pandas only)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_frame(rows: int) -> pd.DataFrame:
    """``rows`` rows: 8 float columns, an integer id, a 4-value city, a timestamp."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(8)})
    frame["id"] = np.arange(rows)
    frame["city"] = rng.choice(["berlin", "paris", "rome", "oslo"], rows)
    frame["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**9, rows), "s")
    return frame


def one_value_changed(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with one float in the middle row changed: new content, same shape."""
    changed = frame.copy()
    changed.loc[len(frame) // 2, "x3"] += 1.0
    return changed
