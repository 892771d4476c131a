"""Shared helpers for the feature-store benchmark runners (timing, data loading, checks).

Every runner prints exactly ONE JSON line on stdout (diagnostics go to stderr), with at least:
  {"system": ..., "version": ..., "workload": "F1"|"F2"|"F3"|..., ...metrics...}
Times are seconds unless the key ends in _ms / _us.
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

DEFAULT_DATA = os.environ.get("FS_BENCH_DATA", "scratch/peers/featurestore/data")


def load(data_dir=DEFAULT_DATA):
    with open(os.path.join(data_dir, "meta.json")) as handle:
        return json.load(handle)


def read(data_dir, name):
    return pd.read_parquet(os.path.join(data_dir, name))


def med_spread(xs):
    xs = list(xs)
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def lat_stats_ms(samples_s):
    a = np.asarray(samples_s) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 4),
        "p90_ms": round(float(np.percentile(a, 90)), 4),
        "p99_ms": round(float(np.percentile(a, 99)), 4),
        "max_ms": round(float(a.max()), 4),
        "mean_ms": round(float(a.mean()), 4),
        "n": int(a.size),
    }


def time_calls(fn, args_list, warmup=20, budget_s=120.0):
    """Call fn(arg) for each arg; returns list of per-call seconds. Bounded by budget_s."""
    for a in args_list[:warmup]:
        fn(a)
    out = []
    t_end = time.perf_counter() + budget_s
    for a in args_list:
        t = time.perf_counter()
        fn(a)
        out.append(time.perf_counter() - t)
        if t > t_end:
            break
    return out


def check_pit(result_df, expected_df, feature_names, key="row_id"):
    """Compare a PIT-join result (must carry row_id) to expected.parquet.
    Returns dict(rows_checked, rows_mismatched, null_mismatch, missing_rows)."""
    r = result_df[[key, *feature_names]].copy()
    e = expected_df[[key, *feature_names]]
    m = e.merge(r, on=key, how="left", suffixes=("_e", "_r"), indicator=True)
    missing = int((m["_merge"] != "both").sum())
    bad = np.zeros(len(m), dtype=bool)
    null_mis = 0
    for f in feature_names:
        ev = m[f + "_e"].to_numpy(dtype="float64", na_value=np.nan)
        rv = m[f + "_r"].to_numpy(dtype="float64", na_value=np.nan)
        en, rn = np.isnan(ev), np.isnan(rv)
        null_mis += int((en != rn).sum())
        diff = ~(en & rn) & ~np.isclose(ev, rv, rtol=1e-6, atol=1e-9, equal_nan=True)
        bad |= diff
    return {
        "rows_expected": len(e),
        "rows_returned": len(result_df),
        "rows_mismatched": int(bad.sum()),
        "null_mismatch_cells": null_mis,
        "missing_rows": missing,
        "match": bool(bad.sum() == 0 and missing == 0 and len(result_df) == len(e)),
    }


def emit(d):
    print(json.dumps(d, default=str))
    sys.stdout.flush()


def log(*a):
    print(*a, file=sys.stderr, flush=True)
