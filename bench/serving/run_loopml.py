"""Serving benchmark (S1 online, S2 batch, S3 hot swap) for loopml, in the shared harness.

The harness (load generator, data, peers) lives in ``../shared/peers/serving`` beside the
project (``--peers-dir``); this file is the loopml runner it describes. Servers are pinned
to core 0 and wrk to core 1 (``SERVE_BENCH_SERVER_CPUS``/``SERVE_BENCH_CLIENT_CPUS``).

    .venv/bin/python bench/serving/run_loopml.py --workload s1 --variants full,nolog,nobatch
    .venv/bin/python bench/serving/run_loopml.py --workload s2
    .venv/bin/python bench/serving/run_loopml.py --workload s3
    .venv/bin/python bench/serving/run_loopml.py --smoke      # tiny, no harness needed

Each record is one JSON line with the harness's keys (rps, p50_ms, p99_ms, errors,
server_cpu_ms_per_req, cold_start_s, ...) and ``peer: loopml-<variant>``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VARIANTS = {
    "full": [],
    "nolog": ["--no-log"],
    "nobatch": ["--no-batching"],
    "nolog-nobatch": ["--no-log", "--no-batching"],
    "shadow": ["--shadow"],
}


def _peers_dir() -> str:
    """The shared harness: ``$SERVE_BENCH_PEERS`` or ``shared/peers/serving`` above the repo."""
    if os.environ.get("SERVE_BENCH_PEERS"):
        return os.environ["SERVE_BENCH_PEERS"]
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "peers" / "serving"
        if candidate.is_dir():
            return str(candidate)
    return str(ROOT.parent / "shared" / "peers" / "serving")


def harness(peers_dir: str):
    sys.path.insert(0, peers_dir)
    import common  # type: ignore[import-not-found]

    return common


CLI_VARIANTS = {
    "full": [],
    "nolog": ["--no-log"],
    "nobatch": ["--no-batching"],
    "nolog-nobatch": ["--no-log", "--no-batching"],
    "shadow": ["--shadow", "{model}@champion"],
}


def registry_home(C, model: str, versions: int = 1) -> str:
    """A loopml home with the harness model registered as ``<model>@champion`` (set-up, untimed)."""
    home = Path(C.state(f"loopml-home-{model}-{versions}"))
    if (home / "registered").exists():
        return str(home)
    code = (
        "import joblib, pandas as pd, loopml as lm\n"
        f"est = joblib.load({C.state('models', f'{model}.joblib')!r})\n"
        f"x = pd.read_parquet({C.state('train.parquet')!r}).drop(columns='y').head(5)\n"
        "with lm.start_run('bench') as run:\n"
        "    ref = run.log_model(est, 'model', example=x.to_numpy())\n"
        f"for _ in range({versions}):\n"
        f"    v = lm.register_model(ref, {model!r})\n"
        f"lm.set_alias({model!r}, 'champion', 1)\n"
    )
    env = {**os.environ, "LOOPML_HOME": str(home)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    (home / "registered").write_text("ok")
    return str(home)


def loopml_serve_cmd(model: str, port: int, variant: str) -> list[str]:
    exe = str(Path(sys.executable).with_name("loopml"))
    extra = [a.format(model=model) for a in CLI_VARIANTS[variant]]
    return [exe, "serve", f"{model}@champion", "--port", str(port), *extra]


def server_cmd(model_path: str, port: int, variant: str, alias_file: str | None = None):
    cmd = [sys.executable, str(HERE / "direct_server.py"), model_path, "--port", str(port)]
    cmd += VARIANTS[variant]
    if alias_file:
        cmd += ["--alias-file", alias_file]
    return cmd


def s1(C, models, variants, concurrency, duration, direct=False):
    homes = {} if direct else {m: registry_home(C, m) for m in models}
    for variant in variants:

        def start(model, variant=variant):
            port = C.free_port()
            env = {"OMP_NUM_THREADS": "1"}
            if direct:
                cmd = server_cmd(C.state("models", f"{model}.joblib"), port, variant)
            else:
                cmd = loopml_serve_cmd(model, port, variant)
                env["LOOPML_HOME"] = homes[model]
            proc = C.start_server(cmd, env=env)
            return proc, f"http://127.0.0.1:{port}/predict"

        C.bench_peer(
            f"loopml-{variant}" + ("-direct" if direct else ""),
            start,
            lambda row: {"inputs": [row]},
            lambda out: out["predictions"][0],
            models,
            concurrency,
            duration,
            C.versions("loopml", "uvicorn", "uvloop", "httptools", "orjson", "scikit-learn"),
        )


def s3(C, models, duration, moves=5, direct=False):
    """Hot swap: wrk at c=16 while the alias moves ``moves`` times; baseline run first.

    Through the registry (default), ``loopml serve`` follows ``<model>@champion`` and the
    alias is moved with ``lm.set_alias`` between ``moves + 1`` registered versions.
    """
    rows = C.load_requests()
    bodies = [json.dumps({"inputs": [r]}, separators=(",", ":")) for r in rows[:200]]
    for model in models:
        port = C.free_port()
        if direct:
            fd, alias_name = tempfile.mkstemp(suffix=".alias")
            os.close(fd)
            Path(alias_name).write_text("1")
            cmd = server_cmd(C.state("models", f"{model}.joblib"), port, "full", alias_name)
            env = {"OMP_NUM_THREADS": "1"}

            def point(version, alias_name=alias_name):
                Path(alias_name).write_text(str(version))
        else:
            home = registry_home(C, model, versions=moves + 1)
            cmd = [*loopml_serve_cmd(model, port, "full"), "--poll-interval", "0.25"]
            env = {"OMP_NUM_THREADS": "1", "LOOPML_HOME": home}
            import loopml as lm

            lm.configure(home=home)
            lm.set_alias(model, "champion", 1)

            def point(version, model=model):
                lm.set_alias(model, "champion", version)

        proc = C.start_server(cmd, env=env)
        url = f"http://127.0.0.1:{port}/predict"
        try:
            C.wait_ready(url, {"inputs": [rows[0]]}, time.perf_counter(), proc)
            C.run_load(url, bodies, 4, 2)
            baseline = C.run_load(url, bodies, 16, duration)

            def move():
                for version in range(2, 2 + moves):
                    time.sleep(duration / (moves + 1))
                    point(version)

            mover = threading.Thread(target=move)
            mover.start()
            swapping = C.run_load(url, bodies, 16, duration)
            mover.join()
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
                text = r.read().decode()
            loads = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("loopml_serving_model_loads_total") and "loaded" in line
            )
            C.emit(
                {
                    "peer": "loopml" + ("-direct" if direct else ""),
                    "workload": "S3",
                    "model": model,
                    "alias_moves": moves,
                    "model_loads": loads,
                    "baseline": baseline,
                    "during_swaps": swapping,
                    "errors": swapping.get("errors"),
                    "p99_ratio": round(swapping["p99_ms"] / baseline["p99_ms"], 2),
                    "loadavg_1m": round(os.getloadavg()[0], 2),
                }
            )
        finally:
            C.stop_server(proc)


def s2(C, models, repeat):
    """Batch scoring of 1M rows through the registry (``client.predict_batch("name@alias")``).

    Each repetition resolves the alias and loads the model through the registry (the
    first call reads, verifies and unpickles the package: ``loopml_first_s``; later calls
    in the process reuse the loaded package, as a scoring service would) and scores the
    file into key columns + predictions, against a raw read + predict of the same
    in-memory estimator in the same sitting. ``--models`` and ``--repeat`` apply.
    """
    import joblib
    import pandas as pd
    import pyarrow.parquet as pq

    import loopml as lm

    source = C.state("score_1m.parquet")
    home = tempfile.mkdtemp(prefix="loopml-bench-s2-")
    client = lm.Client(home=home)
    example = pq.read_table(source).slice(0, 5).to_pandas()[C.FEATURES]
    for model in models:
        estimator = joblib.load(C.state("models", f"{model}.joblib"))
        with client.runs.start_run("bench-s2") as run:
            ref = run.log_model(estimator, "model", example=pd.DataFrame(example))
        version = client.models.register_model(ref, f"bench-{model}")
        client.models.set_alias(f"bench-{model}", "champion", version.version)
        raw, ours, raw_cpu, ours_cpu = [], [], [], []
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            x = pq.read_table(source).to_pandas()[C.FEATURES].to_numpy()
            estimator.predict(x)
            raw.append(time.perf_counter() - t)
            raw_cpu.append(time.process_time() - c)
            del x
            with tempfile.TemporaryDirectory() as tmp:
                t, c = time.perf_counter(), time.process_time()
                result = client.serving.predict_batch(
                    f"bench-{model}@champion", source, Path(tmp) / "out.parquet"
                )
                ours.append(time.perf_counter() - t)  # the first includes the load by alias
                ours_cpu.append(time.process_time() - c)
        rows = result.rows
        C.emit(
            {
                "peer": "loopml",
                "workload": "S2",
                "model": model,
                "rows": rows,
                "path": "registry: predict_batch('name@champion') (alias, verified package)",
                "loopml_first_s": round(ours[0], 3),
                "first_ratio_to_raw": round(statistics.median(raw) / ours[0], 3),
                "loopml_s_median": round(statistics.median(ours), 3),
                "loopml_rows_per_s": round(rows / statistics.median(ours)),
                "raw_read_predict_s_median": round(statistics.median(raw), 3),
                "raw_rows_per_s": round(rows / statistics.median(raw)),
                "ratio_to_raw": round(statistics.median(raw) / statistics.median(ours), 3),
                "loopml_cpu_s_median": round(statistics.median(ours_cpu), 3),
                "raw_cpu_s_median": round(statistics.median(raw_cpu), 3),
                "cpu_ratio_to_raw": round(
                    statistics.median(raw_cpu) / statistics.median(ours_cpu), 3
                ),
                "note": "both read the parquet; loopml also writes keys + predictions",
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }
        )


def smoke() -> None:
    """A tiny end-to-end run without the harness: fit, serve, a few requests, batch-score."""
    import httpx
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 20))
    y = (x[:, 0] > 0).astype(int)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lr.joblib"
        joblib.dump(LogisticRegression().fit(x, y), path)
        port = _free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(server_cmd(str(path), port, "full"), stdout=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/predict"
            cold = _wait(url, x[0].tolist(), started)
            latencies = []
            with httpx.Client() as client:
                for row in x[:50]:
                    t = time.perf_counter()
                    client.post(url, json={"inputs": [row.tolist()]}).raise_for_status()
                    latencies.append((time.perf_counter() - t) * 1000)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)])
        frame.to_parquet(Path(tmp) / "in.parquet")
        sys.path.insert(0, str(HERE))
        from direct_server import SklearnModel

        from loopml.serving.batch import predict_batch

        model = SklearnModel(joblib.load(path), "smoke", 1, 20)
        result = predict_batch(model, Path(tmp) / "in.parquet", Path(tmp) / "out.parquet")
    print(
        json.dumps(
            {
                "peer": "loopml",
                "workload": "smoke",
                "cold_start_s": round(cold, 2),
                "p50_ms": round(statistics.median(latencies), 3),
                "requests": len(latencies),
                "batch_rows": result.rows,
            }
        )
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, row: list[float], started: float) -> float:
    import httpx

    while time.perf_counter() - started < 60:
        try:
            if httpx.post(url, json={"inputs": [row]}).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError("server did not answer within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="s1", choices=["s1", "s2", "s3"])
    ap.add_argument("--models", default="hgb,lr")
    ap.add_argument("--variants", default="full,nolog,nobatch")
    ap.add_argument("--concurrency", default="1,16")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers-dir", default=_peers_dir())
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--direct", action="store_true", help="serve the pickle without the registry")
    a = ap.parse_args()
    if a.smoke:
        smoke()
        return
    C = harness(a.peers_dir)
    models = a.models.split(",")
    if a.workload == "s1":
        concurrency = [int(c) for c in a.concurrency.split(",")]
        s1(C, models, a.variants.split(","), concurrency, a.duration, a.direct)
    elif a.workload == "s2":
        s2(C, models, a.repeat)
    else:
        s3(C, models, a.duration, direct=a.direct)


if __name__ == "__main__":
    main()
