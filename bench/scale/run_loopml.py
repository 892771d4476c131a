"""Scale benchmark on PostgreSQL: metric points, runs, logged predictions, feedback labels.

Full size (issue 15): 10^7 metric points, 10^5 runs, 10^6 logged predictions and 10^6
feedback labels. ``--fraction`` scales every count down for a bounded sitting on a shared
machine (CI: ``--smoke``). Loading uses the bulk paths: runs, params and latest metrics
by multi-row inserts, metric points through ``Run.log_batch`` (packed chunks), predictions
and labels as parquet partitions through the event log. Then it times (medians):

* search: ``metrics.acc > 0.9 and params.model = 'gbm'`` ordered by ``metrics.acc desc``,
  100 results;
* metric history: every point of one metric of one run;
* a monitoring window: the predictions of one hour joined with their latest labels;
* the feedback join over the whole prediction log, streamed (rows counted, not held);

and reports peak RSS (``ru_maxrss``) and the load average next to every figure.

    .venv/bin/python bench/scale/run_loopml.py --db postgresql://postgres@host/db --fraction 0.01
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import tempfile
import time
import uuid

import numpy as np
import pyarrow as pa
from sqlalchemy import create_engine, insert, text

FULL = {"points": 10**7, "runs": 10**5, "predictions": 10**6, "labels": 10**6}
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(record: dict) -> None:
    record.update(system="loopml", loadavg=os.getloadavg(), peak_rss_mb=round(peak_rss_mb(), 1))
    print(json.dumps(record), flush=True)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def fresh_database(server: str) -> str:
    from loopml.store import Database

    name = f"loopml_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(Database(server, migrate=False).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Database(server, migrate=False).url.rsplit("/", 1)[0] + f"/{name}"


def load_runs(client, n_runs: int, rng) -> list[str]:
    from loopml.store.tables import tracking as t

    experiment = client.runs.create_experiment("scale")
    ids = [uuid.uuid4().hex for _ in range(n_runs)]
    now = int(START.timestamp() * 1000)
    acc = rng.random(n_runs)
    models = rng.choice(["gbm", "lr", "rf"], n_runs)
    for lo in range(0, n_runs, 5000):
        part = range(lo, min(lo + 5000, n_runs))
        with client.store.db.write() as conn:
            conn.execute(
                insert(t.runs),
                [{"id": ids[i], "experiment_id": experiment.id, "name": f"run-{i}",
                  "status": "FINISHED", "start_time": now + i, "end_time": now + i + 1,
                  "user_name": "bench"} for i in part],
            )  # fmt: skip
            conn.execute(
                insert(t.params),
                [{"run_id": ids[i], "key": "model", "value": str(models[i]), "value_num": None}
                 for i in part],
            )  # fmt: skip
            conn.execute(
                insert(t.latest_metrics),
                [{"run_id": ids[i], "key": "acc", "step": 0, "timestamp": now,
                  "value": float(acc[i])} for i in part],
            )  # fmt: skip
    return ids


def load_points(client, n_points: int) -> tuple[str, int]:
    """Points in runs of 100,000 points (10 keys x 10,000 steps), logged in batches."""
    per_run, keys = 100_000, 10
    steps = per_run // keys
    runs = max(1, n_points // per_run)
    first = None
    for r in range(runs):
        with client.runs.start_run("scale-points", name=f"points-{r}") as run:
            first = first or run.id
            for k in range(keys):
                values = np.random.default_rng(r * keys + k).random(steps)
                run.log_batch((f"m{k}", float(v), s) for s, v in enumerate(values))
    return first, steps


def load_stream(client, n_predictions: int, n_labels: int) -> None:
    from loopml.store.events import EventLog

    log = EventLog.from_store(client.store)
    rng = np.random.default_rng(3)
    chunk = 200_000
    for lo in range(0, n_predictions, chunk):
        n = min(chunk, n_predictions - lo)
        seconds = (lo + np.arange(n)) * (86400 * 7 / max(n_predictions, 1))
        times = [START + dt.timedelta(seconds=float(s)) for s in seconds]
        ids = [f"p{lo + i}" for i in range(n)]
        log.append(
            "predictions/scale",
            pa.table({
                "time": times, "prediction_id": ids, "deployment": ["scale"] * n,
                "model_name": ["scale"] * n, "model_version": np.ones(n, dtype="int64"),
                "latency_ms": rng.random(n), "prediction": rng.integers(0, 2, n).astype(float),
                "score": rng.random(n), "shadow": np.zeros(n, dtype=bool),
                "inputs": pa.StructArray.from_arrays([rng.random(n)], names=["x"]),
            }),
        )  # fmt: skip
        labelled = min(n, max(0, n_labels - lo))
        if labelled:
            log.append(
                "feedback",
                pa.table({
                    "time": [t + dt.timedelta(hours=1) for t in times[:labelled]],
                    "prediction_id": ids[:labelled],
                    "label": rng.integers(0, 2, labelled).astype(float),
                    "deployment": ["scale"] * labelled,
                }),
            )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("LOOPML_TEST_POSTGRES_URL"))
    ap.add_argument("--fraction", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.fraction, a.repeat = 0.001, 1
    if not a.db:
        raise SystemExit("pass --db postgresql://... (or set LOOPML_TEST_POSTGRES_URL)")
    import loopml as lm

    n = {k: max(1, int(v * a.fraction)) for k, v in FULL.items()}
    url = fresh_database(a.db)
    with tempfile.TemporaryDirectory(prefix="loopml-scale-") as tmp:
        client = lm.Client(home=tmp, db_url=url, artifacts=f"{tmp}/artifacts")
        rng = np.random.default_rng(0)
        for name, load in (
            ("runs", lambda: load_runs(client, n["runs"], rng)),
            ("points", lambda: load_points(client, n["points"])),
            ("stream", lambda: load_stream(client, n["predictions"], n["labels"])),
        ):
            t = time.perf_counter()
            out = load()
            emit(
                {"phase": f"load-{name}", "counts": n, "seconds": round(time.perf_counter() - t, 2)}
            )
            if name == "points":
                history_run, _steps = out
        search = lambda: client.runs.search_runs(  # noqa: E731
            "scale", "metrics.acc > 0.9 and params.model = 'gbm'",
            order_by=["metrics.acc desc"], limit=100,
        )  # fmt: skip
        seconds, found = timed(search, a.repeat)
        emit({"phase": "search", "runs": n["runs"], "p50_s": seconds, "results": len(found)})
        seconds, hist = timed(lambda: client.runs.get_metric_history(history_run, "m0"), a.repeat)
        emit({"phase": "metric-history", "points": len(hist), "p50_s": seconds})
        window = lambda: client.serving.predictions(  # noqa: E731
            "scale", START + dt.timedelta(hours=24), START + dt.timedelta(hours=25),
            limit=10**9, with_feedback=True,
        )  # fmt: skip
        seconds, frame = timed(window, a.repeat)
        emit({"phase": "monitoring-window-1h", "rows": len(frame), "p50_s": seconds})
        join = lambda: client.serving.predictions(  # noqa: E731
            "scale", START - dt.timedelta(days=1), START + dt.timedelta(days=8),
            limit=10**9, with_feedback=True,
        )  # fmt: skip
        seconds, frame = timed(join, max(1, a.repeat // 2))
        labelled = int(frame["label"].notna().sum())
        emit({"phase": "feedback-join-all", "rows": len(frame), "labelled": labelled,
              "p50_s": seconds})  # fmt: skip
        client.close()
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
