#!/usr/bin/env python3
"""Print the F1-F3 figures of one ``run_all.sh`` round as a table (medians, p50s, ratios).

python bench/features/summarize.py scratch/peers/featurestore/results/<round>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(folder: Path, name: str) -> dict:
    path = folder / f"{name}.json"
    if not path.exists() or not path.read_text().strip():
        return {}
    return json.loads(path.read_text().strip().splitlines()[-1])


def med(entry: dict | None) -> float | None:
    return None if not entry or "median" not in entry else round(entry["median"], 3)


def p50(entry: dict | None) -> float | None:
    return None if not entry or "p50_ms" not in entry else entry["p50_ms"]


def main() -> None:
    folder = Path(sys.argv[1])
    raw, lm_sql, lm_redis = (
        load(folder, "raw"),
        load(folder, "loopml_sqlite"),
        load(folder, "loopml_redis"),
    )
    feast_f1, feast_sql = load(folder, "feast_f1_duckdb"), load(folder, "feast_f23_sqlite")
    feast_redis, feast_http = load(folder, "feast_f23_redis"), load(folder, "feast_http_sqlite")
    rows = [
        (
            "F1 PIT join s (median)",
            med(lm_sql.get("f1_hist_s")),
            med(raw.get("f1", {}).get("duckdb_asof", {}).get("s")),
            med(feast_f1.get("f1_hist_s")),
        ),
        (
            "F1 loopml in-process raw DuckDB floor s",
            med(lm_sql.get("raw_duckdb_asof", {}).get("s")),
            None,
            None,
        ),
        (
            "F1 correct rows / 100000",
            lm_sql.get("f1_correctness", {}).get("rows_returned"),
            None,
            feast_f1.get("f1_correctness", {}).get("rows_returned"),
        ),
        (
            "F1 all equal to oracle",
            lm_sql.get("f1_correctness", {}).get("match"),
            raw.get("f1", {}).get("duckdb_asof", {}).get("check", {}).get("match"),
            feast_f1.get("f1_correctness", {}).get("match"),
        ),
        (
            "F2 materialize SQLite s",
            med(lm_sql.get("f2_materialize_s")),
            med(raw.get("f2", {}).get("sqlite_materialize_s")),
            med(feast_sql.get("f2_materialize_s")),
        ),
        (
            "F2 materialize Redis s",
            med(lm_redis.get("f2_materialize_s")),
            med(raw.get("f2", {}).get("redis_materialize_s")),
            med(feast_redis.get("f2_materialize_s")),
        ),
        (
            "F3 SQLite 1 entity p50 ms",
            p50(lm_sql.get("f3_single")),
            p50(raw.get("f3", {}).get("sqlite", {}).get("single")),
            p50(feast_sql.get("f3_single")),
        ),
        (
            "F3 SQLite 100 entities p50 ms",
            p50(lm_sql.get("f3_batch100")),
            p50(raw.get("f3", {}).get("sqlite", {}).get("batch100")),
            p50(feast_sql.get("f3_batch100")),
        ),
        (
            "F3 Redis 1 entity p50 ms",
            p50(lm_redis.get("f3_single")),
            p50(raw.get("f3", {}).get("redis", {}).get("single")),
            p50(feast_redis.get("f3_single")),
        ),
        (
            "F3 Redis 100 entities p50 ms",
            p50(lm_redis.get("f3_batch100")),
            p50(raw.get("f3", {}).get("redis", {}).get("batch100")),
            p50(feast_redis.get("f3_batch100")),
        ),
        (
            "F3 HTTP 1 entity p50 ms (SQLite)",
            p50(lm_sql.get("http_single")),
            None,
            p50(feast_http.get("http_single")),
        ),
        (
            "F3 HTTP 100 entities p50 ms (SQLite)",
            p50(lm_sql.get("http_batch100")),
            None,
            p50(feast_http.get("http_batch100")),
        ),
        ("F3 HTTP 1 entity p50 ms (Redis)", p50(lm_redis.get("http_single")), None, None),
        ("F3 HTTP 100 entities p50 ms (Redis)", p50(lm_redis.get("http_batch100")), None, None),
        ("server ready s", lm_sql.get("http_startup_s"), None, feast_http.get("startup_s")),
    ]
    print(f"{'figure':42} {'loopml':>10} {'raw':>10} {'Feast':>10}")
    for name, *values in rows:
        print(f"{name:42} " + " ".join(f"{'-' if v is None else v!s:>10}" for v in values))
    print(
        "f1 ratio to raw (same process):",
        lm_sql.get("f1_ratio_to_raw"),
        " f2 ratio to raw (same process):",
        lm_sql.get("f2_ratio_to_raw"),
    )
    for name in ("load_before", "load_after"):
        path = folder / f"{name}.txt"
        if path.exists():
            print(name, path.read_text().strip())


if __name__ == "__main__":
    main()
