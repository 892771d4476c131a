"""Scale benchmark on PostgreSQL: metric points, runs, logged predictions, feedback labels.

Full size (issue 15): 10^7 metric points, 10^5 runs, 10^6 logged predictions and 10^6
feedback labels; ``--fraction`` scales every count down (CI: ``--smoke``). The data is
seeded in bulk, not through the per-run API: runs, params, latest metrics and packed
metric chunks (one chunk of ``points / runs`` points per run, the storage format the
tracking writer produces) by PostgreSQL ``COPY``; predictions and labels as parquet files
through the event log. One real model (trained, logged with its dataset, registered and
aliased) is the model every logged prediction names, so lineage walks a real graph.

Then fresh processes (so each peak RSS is the queries', not the seeding's) time:

* search: ``metrics.acc > 0.9 and params.model = 'gbm'`` ordered by ``metrics.acc desc``,
  100 results (median of ``--repeat``);
* metric history: every point of one metric of one run (median);
* a monitoring window: the predictions of one hour with their latest labels (median);
* lineage of random prediction ids (p50, p95);
* in a process of its own, the feedback join over the whole prediction log, streamed in
  record batches (``loopml.store.predlog.streamed.labelled_batches``: rows counted,
  never held);

each line with the load average, CPU seconds and the measuring process's peak RSS.
``--frame-join`` adds, in one more process, the same join into one DataFrame
(``read_predictions(with_feedback=True)``) for comparison of peak RSS.

    .venv/bin/python bench/scale/run_loopml.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import create_engine, text

FULL = {"points": 10**7, "runs": 10**5, "predictions": 10**6, "labels": 10**6}
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
WEEK_MS = 7 * 86_400_000
MODEL = "scale"


def peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss``, not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(record: dict) -> None:
    record.update(
        system="loopml",
        loadavg=[round(v, 2) for v in os.getloadavg()],
        cpu_s=round(time.process_time(), 2),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    print(json.dumps(record), flush=True)


def timed(fn, repeat: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return times, out


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_s": round(statistics.median(ordered), 4),
        "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 4),
        "n": len(ordered),
    }


# ---------------------------------------------------------------------------- seeding
def create_database(server: str) -> str:
    from loopml.store import Database

    base = Database(server, migrate=False).url
    name = f"scale_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if not name.startswith("scale_bench_"):  # only ever drop what this script created
        raise SystemExit(f"refusing to drop {name!r}")
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed_model(client) -> int:
    """One real training run: dataset, model, registered version, alias."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import loopml as lm

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "y": rng.integers(0, 2, 200)})
    with lm.start_run("scale-model") as run:
        lm.log_dataset(frame, "scale-data", run=run)
        model = LogisticRegression().fit(frame[["x"]], frame["y"])
        ref = run.log_model(model, "model", example=frame[["x"]][:5])
    version = lm.register_model(ref, MODEL)
    lm.set_alias(MODEL, "champion", version.version)
    return int(version.version)


def seed_runs(client, n_runs: int, n_points: int) -> str:
    """Runs, one param, latest ``acc`` and ``loss``, and ``loss`` histories, by COPY."""
    import psycopg

    experiment = client.runs.create_experiment("scale")
    per_run = max(1, n_points // n_runs)
    rng = np.random.default_rng(1)
    acc = rng.random(n_runs)
    models = rng.choice(["gbm", "lr", "rf"], n_runs)
    now = int(START.timestamp() * 1000)
    steps = np.arange(per_run, dtype="<i8")
    step_bytes = steps.tobytes()
    dsn = client.store.db.url.replace("postgresql+psycopg://", "postgresql://")
    first = None
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for lo in range(0, n_runs, 10_000):
            part = range(lo, min(lo + 10_000, n_runs))
            ids = [uuid.uuid4().hex for _ in part]
            first = first or ids[0]
            with cur.copy(
                "COPY runs (id, experiment_id, name, status, start_time, end_time, user_name) "
                "FROM STDIN"
            ) as copy:
                for run_id, i in zip(ids, part, strict=True):
                    copy.write_row(
                        (run_id, experiment.id, f"run-{i}", "FINISHED", now + i, now + i + 1, "b")
                    )
            with cur.copy("COPY params (run_id, key, value, value_num) FROM STDIN") as copy:
                for run_id, i in zip(ids, part, strict=True):
                    copy.write_row((run_id, "model", str(models[i]), None))
            with cur.copy(
                "COPY latest_metrics (run_id, key, step, timestamp, value) FROM STDIN"
            ) as copy:
                for run_id, i in zip(ids, part, strict=True):
                    copy.write_row((run_id, "acc", 0, now + i, float(acc[i])))
                    copy.write_row((run_id, "loss", per_run - 1, now + i, 0.0))
            with cur.copy(
                "COPY metric_chunks (run_id, key, count, min_step, max_step, steps, timestamps, "
                '"values") FROM STDIN'
            ) as copy:
                for run_id, i in zip(ids, part, strict=True):
                    stamps = (now + i + steps).tobytes()
                    values = rng.random(per_run).tobytes()
                    copy.write_row(
                        (run_id, "loss", per_run, 0, per_run - 1, step_bytes, stamps, values)
                    )
            conn.commit()
        conn.autocommit = True
        cur.execute("ANALYZE")
    return first


def seed_stream(client, n_predictions: int, n_labels: int, version: int) -> list[str]:
    """Predictions spread over a week and labels an hour later, 100,000 rows per append."""
    from loopml.store.events import TIME_TYPE, EventLog
    from loopml.store.streams import FEEDBACK_STREAM, predictions_stream

    log = EventLog.from_store(client.store)
    rng = np.random.default_rng(3)
    start_ms = int(START.timestamp() * 1000)
    chunk = 100_000
    sample: list[str] = []
    for lo in range(0, n_predictions, chunk):
        n = min(chunk, n_predictions - lo)
        index = lo + np.arange(n)
        times = pa.array(start_ms + index * WEEK_MS // max(n_predictions, 1)).cast(TIME_TYPE)
        ids = pa.array([f"p{i:09d}" for i in range(lo, lo + n)])
        sample += [ids[int(k)].as_py() for k in rng.integers(0, n, 20)]
        log.append(
            predictions_stream(MODEL),
            pa.table({
                "time": times, "prediction_id": ids, "deployment": pa.array([MODEL] * n),
                "model_name": pa.array([MODEL] * n),
                "model_version": pa.array(np.full(n, version, dtype="int64")),
                "latency_ms": rng.random(n), "inputs": pa.StructArray.from_arrays(
                    [pa.array(rng.normal(size=n))], names=["x"]),
                "prediction": rng.integers(0, 2, n).astype(float), "score": rng.random(n),
                "shadow": np.zeros(n, dtype=bool),
            }),
        )  # fmt: skip
        labelled = min(n, max(0, n_labels - lo))
        if labelled:
            label_times = pa.array(
                start_ms + index[:labelled] * WEEK_MS // max(n_predictions, 1) + 3_600_000
            ).cast(TIME_TYPE)
            log.append(
                FEEDBACK_STREAM,
                pa.table({
                    "time": label_times, "prediction_id": ids.slice(0, labelled),
                    "label": rng.integers(0, 2, labelled).astype(float),
                    "deployment": pa.array([MODEL] * labelled),
                }),
            )  # fmt: skip
    return sample


# ---------------------------------------------------------------------------- measuring
def measure(a: argparse.Namespace) -> None:
    import loopml as lm
    from loopml.store.events import EventLog

    client = lm.configure(home=a.home, db_url=a.url, artifacts=f"{a.home}/artifacts")
    info = json.loads(Path(a.home, "seeded.json").read_text())
    log = EventLog.from_store(client.store)
    whole = (START - dt.timedelta(days=1), START + dt.timedelta(days=8))
    if a.phase == "frame-join":
        from loopml.store.predlog.reading import read_predictions

        started = time.perf_counter()
        frame = read_predictions(log, MODEL, *whole, with_feedback=True)
        emit({"phase": "feedback-join-frame", "rows": len(frame),
              "labelled": int(frame["label"].notna().sum()),
              "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip
        return
    if a.phase == "streamed-join":
        streamed_join(log, whole)
        return
    search = lambda: client.runs.search_runs(  # noqa: E731
        "scale", "metrics.acc > 0.9 and params.model = 'gbm'",
        order_by=["metrics.acc desc"], limit=100,
    )  # fmt: skip
    seconds, found = timed(search, a.repeat)
    emit({"phase": "search", "runs": info["runs"], "results": len(found), **percentiles(seconds)})
    history = lambda: client.runs.get_metric_history(info["history_run"], "loss")  # noqa: E731
    seconds, hist = timed(history, a.repeat)
    emit({"phase": "metric-history", "points": len(hist), **percentiles(seconds)})
    hour = START + dt.timedelta(hours=24)
    window = lambda: client.serving.predictions(  # noqa: E731
        MODEL, hour, hour + dt.timedelta(hours=1), limit=10**9, with_feedback=True
    )
    seconds, frame = timed(window, a.repeat)
    emit({"phase": "monitoring-window-1h", "rows": len(frame),
          "labelled": int(frame["label"].notna().sum()), **percentiles(seconds)})  # fmt: skip
    lineages = client.lineages
    started = time.perf_counter()
    lineages.get(info["sample"][0])
    first = time.perf_counter() - started
    picks = [random.Random(i).choice(info["sample"]) for i in range(a.lineage_queries)]
    seconds = []
    for prediction_id in picks:
        started = time.perf_counter()
        graph = lineages.get(prediction_id)
        seconds.append(time.perf_counter() - started)
    emit({"phase": "lineage-prediction", "first_s": round(first, 3), "nodes": len(graph.nodes),
          **percentiles(seconds)})  # fmt: skip
    client.close()


def streamed_join(log, whole) -> None:
    from loopml.store.predlog.streamed import labelled_batches

    started = time.perf_counter()
    rows = labelled = batches = 0
    for batch in labelled_batches(log, MODEL, *whole):
        rows += batch.num_rows
        labelled += batch.num_rows - batch["label"].null_count
        batches += 1
    emit({"phase": "feedback-join-all", "streamed": True, "rows": rows, "labelled": labelled,
          "batches": batches, "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip


def child(a: argparse.Namespace, url: str, home: str, phase: str) -> None:
    command = [
        sys.executable, __file__, "--measure", "--phase", phase, "--url", url, "--home", home,
        "--repeat", str(a.repeat), "--lineage-queries", str(a.lineage_queries),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("LOOPML_TEST_POSTGRES_URL"))
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lineage-queries", type=int, default=100)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--frame-join", action="store_true")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--phase", default="queries", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        measure(a)
        return
    if a.smoke:
        a.fraction, a.repeat, a.lineage_queries = 0.001, 1, 5
    if not a.db:
        raise SystemExit("pass --db postgresql://... (or set LOOPML_TEST_POSTGRES_URL)")
    import loopml as lm

    n = {k: max(1, int(v * a.fraction)) for k, v in FULL.items()}
    url = create_database(a.db)
    try:
        with tempfile.TemporaryDirectory(prefix="loopml-scale-") as home:
            client = lm.configure(home=home, db_url=url, artifacts=f"{home}/artifacts")
            started = time.perf_counter()
            version = seed_model(client)
            history_run = seed_runs(client, n["runs"], n["points"])
            emit({"phase": "seed-metadata", "counts": n,
                  "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip
            started = time.perf_counter()
            sample = seed_stream(client, n["predictions"], n["labels"], version)
            emit({"phase": "seed-stream", "counts": n,
                  "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip
            client.close()
            seeded = {"runs": n["runs"], "history_run": history_run, "sample": sample}
            Path(home, "seeded.json").write_text(json.dumps(seeded))
            child(a, url, home, "queries")
            child(a, url, home, "streamed-join")
            if a.frame_join:
                child(a, url, home, "frame-join")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
