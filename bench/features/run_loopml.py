#!/usr/bin/env python3
"""loopml runner for the feature-store benchmark (F1 / F2 / F3), same files and rules as Feast's.

    python bench/features/run_loopml.py [--data DIR] [--online sqlite|redis] [--repeat 3]
                                        [--workloads f1,f2,f3,http] [--smoke]

Prints ONE JSON line with the keys of ``run_feast.py`` (f1_hist_s, f1_correctness,
f2_materialize_s, online_values_match_latest, f3_single, f3_batch100) plus, measured in the
same process right before: the raw DuckDB ASOF JOIN (the floor of F1) and a raw
latest-per-entity query + one bulk SQLite write (the floor of F2); and ``http_single`` /
``http_batch100`` / ``http_startup_s`` from ``loopml features serve`` on 127.0.0.1.

``--smoke`` generates a tiny data set in a temporary folder and runs everything once.
``common.py`` and ``gen_data.py`` are copies of the peer harness in shared/peers/featurestore.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common as C  # noqa: E402

import loopml as lm  # noqa: E402

VIEW = "driver_stats"


def setup(data: str, home: Path, online_url: str) -> tuple[lm.FeatureStore, dict]:
    meta = C.load(data)
    client = lm.Client(home=str(home), online_store=online_url)
    fs = client.features
    view = lm.FeatureView(
        VIEW,
        lm.Entity("driver_id", dtype="int64"),
        str(Path(data, "features.parquet").resolve()),
        "event_timestamp",
        dict.fromkeys(meta["feature_names"], "float64"),
        ttl="3650d",
    )
    fs.apply([view])
    return fs, meta


def raw_f1(data: str, meta: dict, repeat: int) -> dict:
    import duckdb

    fn = meta["feature_names"]
    cols = ", ".join(f"f.{c}" for c in fn)
    feats, spine = Path(data, "features.parquet"), Path(data, "spine.parquet")
    sql = (
        f"SELECT s.row_id, s.driver_id, s.event_timestamp, {cols} "
        f"FROM read_parquet('{spine}') s ASOF LEFT JOIN read_parquet('{feats}') f "
        f"ON s.driver_id = f.driver_id AND s.event_timestamp >= f.event_timestamp"
    )
    con = duckdb.connect()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = con.sql(sql).to_arrow_table().to_pandas()
        times.append(time.perf_counter() - t)
    check = C.check_pit(result, C.read(data, "expected.parquet"), fn)
    return {"s": C.med_spread(times), "check": check}


def f1(fs: lm.FeatureStore, data: str, meta: dict, repeat: int) -> dict:
    refs = [f"{VIEW}:{f}" for f in meta["feature_names"]]
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        spine = pd.read_parquet(Path(data, "spine.parquet"))  # read inside, as the raw floor does
        result = fs.get_historical_features(spine, refs)
        times.append(time.perf_counter() - t)
    check = C.check_pit(result, C.read(data, "expected.parquet"), meta["feature_names"])
    return {
        "f1_hist_s": C.med_spread(times),
        "f1_correctness": check,
        "f1_rows_per_s": round(len(result) / float(np.median(times))),
    }


def raw_f2(data: str, meta: dict, repeat: int, tmp: Path) -> dict:
    import duckdb

    fn = meta["feature_names"]
    feats = Path(data, "features.parquet")
    times = []
    for i in range(repeat):
        db = tmp / f"raw_{i}.db"
        t = time.perf_counter()
        latest = (
            duckdb.connect()
            .sql(
                f"SELECT driver_id, {', '.join(fn)} FROM read_parquet('{feats}') QUALIFY "
                "row_number() OVER (PARTITION BY driver_id ORDER BY event_timestamp DESC) = 1"
            )
            .to_arrow_table()
            .to_pandas()
        )
        con = sqlite3.connect(db)
        con.execute(
            f"CREATE TABLE fv (driver_id INTEGER PRIMARY KEY, {', '.join(c + ' REAL' for c in fn)})"
        )
        con.executemany(
            f"INSERT INTO fv VALUES ({', '.join('?' * (len(fn) + 1))})",
            latest[["driver_id", *fn]].itertuples(index=False, name=None),
        )
        con.commit()
        con.close()
        times.append(time.perf_counter() - t)
    return {"s": C.med_spread(times)}


def f2(
    data: str, meta: dict, repeat: int, home: Path, online_base: str
) -> tuple[dict, lm.FeatureStore]:
    start = pd.Timestamp(meta["materialize_start"]).to_pydatetime()
    end = pd.Timestamp(meta["materialize_end"]).to_pydatetime()
    times, fs = [], None
    for i in range(repeat):
        url = fresh_online(online_base, home, i)
        fs, _ = setup(data, home, url)
        t = time.perf_counter()
        fs.materialize(start, end)
        times.append(time.perf_counter() - t)
    return {"f2_materialize_s": C.med_spread(times), "online_url": fs.online_url}, fs


def fresh_online(base: str, home: Path, i: int) -> str:
    if base.startswith("redis"):
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}prefix=lmbench-{uuid.uuid4().hex[:8]}"
    return f"sqlite:///{home / f'online_{i}.db'}"


def check_online(fs: lm.FeatureStore, data: str, meta: dict, n: int = 500) -> dict:
    latest = C.read(data, "latest.parquet").set_index("driver_id")
    ids = [
        int(i) for i in np.random.default_rng(7).choice(latest.index.to_numpy(), n, replace=False)
    ]
    refs = [f"{VIEW}:{f}" for f in meta["feature_names"]]
    got = fs.get_online_features({"driver_id": ids}, refs).to_df().set_index("driver_id")
    ok = np.allclose(
        got.loc[ids, meta["feature_names"]].to_numpy(float),
        latest.loc[ids, meta["feature_names"]].to_numpy(float),
    )
    return {"online_values_match_latest": bool(ok), "online_checked_entities": n}


def f3(fs: lm.FeatureStore, meta: dict, n1: int = 2000, nb: int = 500, batch: int = 100) -> dict:
    refs = [f"{VIEW}:{f}" for f in meta["feature_names"]]
    rng = np.random.default_rng(123)
    ents = meta["entities"]
    one = [[int(x)] for x in rng.integers(1, ents + 1, n1 + 50)]
    many = [
        [int(x) for x in rng.choice(np.arange(1, ents + 1), min(batch, ents), replace=False)]
        for _ in range(nb + 20)
    ]

    def call(ids: list[int]) -> dict:
        return fs.get_online_features({"driver_id": ids}, refs)

    s1 = C.time_calls(call, one, warmup=50, budget_s=120)[:n1]
    sb = C.time_calls(call, many, warmup=20, budget_s=120)[:nb]
    return {
        "f3_single": C.lat_stats_ms(s1),
        "f3_batch100": C.lat_stats_ms(sb),
        "f3_batch100_rows_per_s": round(batch / float(np.median(sb))),
    }


def http_f3(
    home: Path,
    online_url: str,
    meta: dict,
    port: int,
    n1: int = 1000,
    nb: int = 300,
    budget: float = 60.0,
) -> dict:
    env = dict(os.environ, LOOPML_HOME=str(home), LOOPML_ONLINE_STORE=online_url)
    exe = Path(sys.executable).with_name("loopml")
    cmd = [str(exe), "features", "serve", "--host", "127.0.0.1", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    out: dict = {"http_cmd": " ".join(cmd[1:])}
    refs = [f"{VIEW}:{f}" for f in meta["feature_names"]]
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.02)
            if proc.poll() is not None or time.perf_counter() - t0 > 60:
                raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-500:]}")
        out["http_startup_s"] = round(time.perf_counter() - t0, 3)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def call(ids: list[int]) -> dict:
            body = json.dumps({"features": refs, "entities": {"driver_id": ids}})
            conn.request(
                "POST", "/online-features", body=body, headers={"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {data[:300]!r}")
            return json.loads(data)

        rng = np.random.default_rng(123)
        ents = meta["entities"]
        one = [[int(x)] for x in rng.integers(1, ents + 1, n1 + 50)]
        many = [
            [int(x) for x in rng.choice(np.arange(1, ents + 1), min(100, ents), replace=False)]
            for _ in range(nb + 20)
        ]
        out["http_sample_ok"] = call([1, 2])["results"]["driver_id"] == [1, 2]
        out["http_single"] = C.lat_stats_ms(
            C.time_calls(call, one, warmup=50, budget_s=budget)[:n1]
        )
        out["http_batch100"] = C.lat_stats_ms(
            C.time_calls(call, many, warmup=20, budget_s=budget)[:nb]
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=C.DEFAULT_DATA)
    ap.add_argument("--online", default="sqlite", help="sqlite, or a redis:// URL")
    ap.add_argument("--workloads", default="f1,f2,f3,http")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--port", type=int, default=6576)
    ap.add_argument("--smoke", action="store_true", help="tiny generated data, one repeat")
    a = ap.parse_args()
    wl = a.workloads.split(",")
    with tempfile.TemporaryDirectory(prefix="lm-fsbench-") as tmp_dir:
        tmp = Path(tmp_dir)
        if a.smoke:
            a.data, a.repeat = str(tmp / "data"), 1
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "gen_data.py"),
                    "--out",
                    a.data,
                    "--entities",
                    "50",
                    "--rows",
                    "10",
                    "--spine",
                    "500",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        home = tmp / "home"
        fs, meta = setup(a.data, home, fresh_online(a.online, home, 0))
        out: dict = {
            "system": "loopml",
            "version": lm.__version__,
            "online": a.online.split("://")[0],
            "workloads": wl,
            "smoke": a.smoke,
        }
        if "f1" in wl:
            out["raw_duckdb_asof"] = raw_f1(a.data, meta, a.repeat)
            out.update(f1(fs, a.data, meta, a.repeat))
            out["f1_ratio_to_raw"] = round(
                out["f1_hist_s"]["median"] / out["raw_duckdb_asof"]["s"]["median"], 3
            )
        if any(w in wl for w in ("f2", "f3", "http")):
            if "f2" in wl and a.online == "sqlite":
                out["raw_latest_plus_sqlite_write"] = raw_f2(a.data, meta, a.repeat, tmp)
            result, fs = f2(a.data, meta, a.repeat if "f2" in wl else 1, home, a.online)
            out.update(result)
            if "raw_latest_plus_sqlite_write" in out:
                floor = out["raw_latest_plus_sqlite_write"]["s"]["median"]
                out["f2_ratio_to_raw"] = round(out["f2_materialize_s"]["median"] / floor, 3)
            out.update(check_online(fs, a.data, meta, n=min(500, meta["entities"])))
        if "f3" in wl:
            out.update(f3(fs, meta))
        if "http" in wl:
            out.update(
                http_f3(
                    home,
                    out.get("online_url") or fs.online_url,
                    meta,
                    a.port,
                    n1=100 if a.smoke else 1000,
                    nb=30 if a.smoke else 300,
                )
            )
        C.emit(out)


if __name__ == "__main__":
    main()
