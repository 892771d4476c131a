"""Lineage query latency with a large prediction log (issue 14: p95 < 50 ms at 10^6 rows).

Builds a store with a trained, registered, aliased model, its dataset version and a
prediction log of ``--predictions`` rows in files of ``--rows-per-file`` (a server flushes
about one file per second), then times ``lm.lineage`` for random prediction ids, for
``model@alias``, for the run and for ``lm.status()``, with the CPU time per prediction
query (steadier than wall time on a loaded machine). Prints one JSON object. Files of
``--rows-per-file`` 100000 stand for a compacted log (rows per row group bounded by the
event log's ``ROW_GROUP_ROWS``).

    python bench/lineage/run_loopml.py --predictions 1000000 --rows-per-file 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.store.events import TIME_TYPE, EventLog
from loopml.store.streams import predictions_stream


def build(home: str, predictions: int, rows_per_file: int) -> tuple[lm.Client, list[str]]:
    client = lm.configure(home=home)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "y": rng.integers(0, 2, 200)})
    with lm.start_run("bench-lineage") as run:
        lm.log_dataset(frame, "bench-data", run=run)
        model = LogisticRegression().fit(frame[["x"]], frame["y"])
        ref = run.log_model(model, "model", example=frame[["x"]][:5])
    version = lm.register_model(ref, "bench")
    lm.set_alias("bench", "champion", version.version)
    log = EventLog.from_store(client.store)
    prefix = f"{int(time.time()):x}{os.getpid() & 0xFFFF:04x}abcdef"
    sample: list[str] = []
    counter = 0
    start_ms = 1_764_000_000_000
    for file_number in range(predictions // rows_per_file):
        ids = [f"{prefix}-{counter + i:x}" for i in range(rows_per_file)]
        counter += rows_per_file
        sample.append(random.choice(ids))
        n = rows_per_file
        log.append(
            predictions_stream("bench"),
            pa.table(
                {
                    "time": pa.array(np.full(n, start_ms + file_number * 1000), pa.int64()).cast(
                        TIME_TYPE
                    ),
                    "prediction_id": pa.array(ids),
                    "deployment": pa.array(["bench"] * n),
                    "model_name": pa.array(["bench"] * n),
                    "model_version": pa.array(np.full(n, version.version), pa.int64()),
                    "latency_ms": pa.array(np.ones(n)),
                    "inputs": pa.StructArray.from_arrays([pa.array(rng.normal(size=n))], ["x"]),
                    "prediction": pa.array(rng.integers(0, 2, n).astype(float)),
                    "score": pa.array(rng.random(n)),
                    "shadow": pa.array(np.zeros(n, dtype=bool)),
                }
            ),
        )
    return client, sample


def timed(reference: str, repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        lm.lineage(reference)
        found.append((time.perf_counter() - start) * 1000)
    return found


def timed_status(repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        lm.status()
        found.append((time.perf_counter() - start) * 1000)
    return found


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--predictions", type=int, default=1_000_000)
    parser.add_argument("--rows-per-file", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as home:
        started = time.perf_counter()
        client, sample = build(home, args.predictions, args.rows_per_file)
        build_s = time.perf_counter() - started
        first = timed(sample[0], 1)[0]  # reads every footer once (then cached on disk)
        ids = [random.choice(sample) for _ in range(args.queries)]
        per_prediction: list[float] = []
        cpu = time.process_time()
        for prediction_id in ids:
            per_prediction += timed(prediction_id, 1)
        cpu_ms = (time.process_time() - cpu) / len(ids) * 1000
        run_id = lm.lineage("bench@champion").of_type("run")[0].id
        result = {
            "bench": "lineage",
            "predictions": args.predictions,
            "files": args.predictions // args.rows_per_file,
            "build_s": round(build_s, 1),
            "first_prediction_query_ms": round(first, 1),
            "prediction": summary(per_prediction),
            "prediction_cpu_ms_per_query": round(cpu_ms, 2),
            "model_alias": summary(timed("bench@champion", args.queries // 4)),
            "run": summary(timed(run_id, args.queries // 4)),
            "status": summary(timed_status(args.queries // 4)),
            "load_average": [round(v, 2) for v in os.getloadavg()],
        }
        client.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
