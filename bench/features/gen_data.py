#!/usr/bin/env python3
"""Workload generator for the feature-store benchmark (F1/F2/F3).

Writes, into --out (default scratch/peers/featurestore/data):
  features.parquet   feature history: N_ENT entities x ROWS rows, columns
                     driver_id:int64, event_timestamp:timestamp[us, UTC],
                     f0..f{F-1}:float64
                     Per entity, row k has timestamp T0 + k days + jitter in [0, 1 day),
                     so timestamps are unique and strictly increasing per entity
                     (no tie-breaking ambiguity in point-in-time joins).
  spine.parquet      entity dataframe ("spine") of SPINE rows: row_id:int64,
                     driver_id:int64 (uniform random entity),
                     event_timestamp:timestamp[us, UTC] (uniform random in
                     [T0 - 5 days, T0 + ROWS + 5 days)), so ~4.5% of rows fall
                     before an entity's first feature row and must come back NULL.
  expected.parquet   brute-force ground truth (pandas merge_asof, backward,
                     exact matches allowed, no TTL) keyed by row_id.
  latest.parquet     latest row per entity (ground truth for materialization/online).
  meta.json          parameters + T0 + materialization window.

Point-in-time semantics every runner must implement:
  for each spine row (e, t): take the feature row of entity e with the greatest
  event_timestamp <= t; NULL features if none exists. No TTL (or TTL >= whole range).

Usage:
  python gen_data.py [--out DIR] [--entities 10000] [--rows 100] [--features 10]
                     [--spine 100000] [--seed 42]
Only needs numpy, pandas, pyarrow.
"""

import argparse
import json
import os
import time

import numpy as np
import pandas as pd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="scratch/peers/featurestore/data")
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--features", type=int, default=10)
    ap.add_argument("--spine", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    day_us = 86_400 * 1_000_000

    n = a.entities * a.rows
    ent = np.repeat(np.arange(1, a.entities + 1, dtype=np.int64), a.rows)
    k = np.tile(np.arange(a.rows, dtype=np.int64), a.entities)
    jitter = rng.integers(0, day_us // 1_000_000, size=n) * 1_000_000  # whole seconds
    ts_us = t0.value // 1000 + k * day_us + jitter
    feats = {f"f{i}": rng.standard_normal(n) for i in range(a.features)}
    df = pd.DataFrame(
        {"driver_id": ent, "event_timestamp": pd.to_datetime(ts_us, unit="us", utc=True), **feats}
    )
    # shuffle physical order so no engine benefits from pre-sorted input
    df = df.sample(frac=1.0, random_state=a.seed).reset_index(drop=True)
    df.to_parquet(os.path.join(a.out, "features.parquet"), index=False)

    lo = t0.value // 1000 - 5 * day_us
    hi = t0.value // 1000 + (a.rows + 5) * day_us
    sp_ts = rng.integers(lo // 1_000_000, hi // 1_000_000, size=a.spine) * 1_000_000
    spine = pd.DataFrame(
        {
            "row_id": np.arange(a.spine, dtype=np.int64),
            "driver_id": rng.integers(1, a.entities + 1, size=a.spine, dtype=np.int64),
            "event_timestamp": pd.to_datetime(sp_ts, unit="us", utc=True),
        }
    )
    spine.to_parquet(os.path.join(a.out, "spine.parquet"), index=False)

    # ground truth
    t = time.perf_counter()
    left = spine.sort_values("event_timestamp")
    r = df.sort_values("event_timestamp")
    exp = pd.merge_asof(
        left,
        r,
        on="event_timestamp",
        by="driver_id",
        direction="backward",
        allow_exact_matches=True,
    )
    exp = exp.sort_values("row_id").reset_index(drop=True)
    exp.to_parquet(os.path.join(a.out, "expected.parquet"), index=False)
    latest = (
        df.sort_values("event_timestamp")
        .groupby("driver_id", as_index=False)
        .tail(1)
        .sort_values("driver_id")
        .reset_index(drop=True)
    )
    latest.to_parquet(os.path.join(a.out, "latest.parquet"), index=False)
    meta = dict(
        vars(a),
        t0=str(t0),
        n_feature_rows=int(n),
        feature_names=[f"f{i}" for i in range(a.features)],
        materialize_start=str(t0 - pd.Timedelta(days=1)),
        materialize_end=str(t0 + pd.Timedelta(days=a.rows + 1)),
        null_rows_expected=int(exp["f0"].isna().sum()),
        ground_truth_s=round(time.perf_counter() - t, 3),
    )
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
