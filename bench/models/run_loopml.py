"""Registry benchmark T3 for loopml, with the floor and MLflow beside it (BENCHMARKS.md).

50 versions of ``Pipeline(StandardScaler, LogisticRegression)`` on breast_cancer, alias
``champion`` on the newest; time to load ``models:/bc_logreg@champion`` in fresh
processes (wall, including interpreter start and every import) and warm in one process.

The floor is a fresh process that only unpickles the same model file and predicts (the
least any registry can do). With ``--peer-python`` the MLflow harness of
``shared/peers/tracking`` (``run_mlflow.py --tasks T3``) runs in its own venv right after,
so the figures share one sitting. Prints one JSON line per system, then the ratios.

    python bench/models/run_loopml.py
    python bench/models/run_loopml.py --peer-python scratch/peers/tracking/venv/bin/python
    python bench/models/run_loopml.py --smoke        # tiny sizes, for CI
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = Path("shared") / "peers" / "tracking" / "run_mlflow.py"
DEFAULT_HARNESS = next(
    (p / HARNESS for p in HERE.parents if (p / HARNESS).is_file()), Path("/work") / HARNESS
)
MODEL_NAME = "bc_logreg"
ALIAS = "champion"

COLD = r"""
import json, sys, time
t0 = time.perf_counter()
import loopml as lm
m = lm.load_model("models:/%s@%s")
t1 = time.perf_counter()
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True)
acc = float((m.predict_array(X) == y).mean())
print(json.dumps({"load_s": t1 - t0, "acc": acc, "version": m.version,
                  "pandas": "pandas" in sys.modules, "fastapi": "fastapi" in sys.modules,
                  "pydantic": "pydantic" in sys.modules}))
"""

FLOOR = r"""
import json, pickle, time
t0 = time.perf_counter()
with open(%r, "rb") as f:
    m = pickle.load(f)
t1 = time.perf_counter()
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True)
print(json.dumps({"load_s": t1 - t0, "acc": float((m.predict(X) == y).mean())}))
"""


def stats(values: list[float], scale: float = 1.0, digits: int = 4) -> dict:
    ordered = sorted(v * scale for v in values)
    return {
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "n": len(ordered),
    }


def train():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y), X, y


def fresh_process(code: str, env: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def run_loopml(args: argparse.Namespace, work: Path) -> dict:
    import loopml as lm

    env = {
        **os.environ,
        "LOOPML_HOME": str(work / "home"),
        "LOOPML_DB_URL": f"sqlite:///{work / 'loopml.db'}",
        "LOOPML_ARTIFACTS": str(work / "artifacts"),
    }
    lm.configure(
        home=env["LOOPML_HOME"], db_url=env["LOOPML_DB_URL"], artifacts=env["LOOPML_ARTIFACTS"]
    )
    model, X, y = train()
    per_version, log_only = [], []
    for v in range(args.versions):
        with lm.start_run("t3_registry", name=f"t3-v{v + 1}", capture=False) as run:
            start = time.perf_counter()
            ref = run.log_model(model, "model", example=X[:5])
            logged = time.perf_counter()
            lm.register_model(ref, MODEL_NAME)
            per_version.append(time.perf_counter() - start)
            log_only.append(logged - start)
    models = lm.get_client().models
    latest = lm.get_registered_model(MODEL_NAME).latest_version
    start = time.perf_counter()
    lm.set_alias(MODEL_NAME, ALIAS, latest)
    set_alias_s = time.perf_counter() - start
    resolve = []
    for _ in range(args.warm):
        start = time.perf_counter()
        models.get_alias(MODEL_NAME, ALIAS)
        resolve.append(time.perf_counter() - start)
    uri = f"models:/{MODEL_NAME}@{ALIAS}"
    start = time.perf_counter()
    loaded = lm.load_model(uri)
    first = time.perf_counter() - start
    warm, uncached = [], []
    for _ in range(args.warm):
        start = time.perf_counter()
        loaded = lm.load_model(uri)
        warm.append(time.perf_counter() - start)
        start = time.perf_counter()
        lm.load_model(uri, cache=False)
        uncached.append(time.perf_counter() - start)
    acc = float((loaded.predict_array(X) == y).mean())
    model_file = models.loader.files(loaded.digest, dict(loaded.manifest)).path("model.pkl")
    cold_wall, cold_load, flags = [], [], {}
    floor_wall, floor_load = [], []
    for _ in range(args.cold):  # interleaved, so both see the same machine load
        wall, out = fresh_process(COLD % (MODEL_NAME, ALIAS), env)
        cold_wall.append(wall)
        cold_load.append(out["load_s"])
        flags = {k: out[k] for k in ("pandas", "fastapi", "pydantic")}
        assert out["version"] == latest
        assert abs(out["acc"] - acc) < 1e-9
        wall, out = fresh_process(FLOOR % str(model_file), env)
        floor_wall.append(wall)
        floor_load.append(out["load_s"])
    return {
        "system": "loopml",
        "version": lm.__version__,
        "backend": "sqlite+local",
        "T3": {
            "register_version_s": stats(per_version),
            "log_model_s": stats(log_only),
            "register_50_total_s": round(sum(per_version), 3),
            "set_alias_ms": round(set_alias_s * 1000, 3),
            "latest_version": latest,
            "resolve_alias_ms": stats(resolve, 1000, 3),
            "load_warm_first_in_process_s": round(first, 4),
            "load_warm_ms": stats(warm, 1000, 3),
            "load_warm_uncached_ms": stats(uncached, 1000, 3),
            "load_cold_process_wall_s": stats(cold_wall),
            "load_cold_in_process_s": stats(cold_load),
            "cold_modules_loaded": flags,
            "floor_cold_process_wall_s": stats(floor_wall),
            "floor_cold_unpickle_s": stats(floor_load),
            "train_acc": round(acc, 4),
        },
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def run_peer(args: argparse.Namespace) -> dict:
    harness = Path(args.peer_harness).resolve()
    work = Path(tempfile.mkdtemp(prefix="t3-mlflow-"))
    env = {**os.environ, "TRACKING_BENCH_WORK": str(work)}
    python = str(Path(args.peer_python).absolute())
    command = [python, str(harness), "--backend", "sqlite", "--tasks", "T3"]
    try:
        done = subprocess.run(
            command, cwd=harness.parent, capture_output=True, text=True, env=env, check=False
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode != 0:
        return {"system": "mlflow", "error": done.stderr[-2000:]}
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_average"] = os.getloadavg()
    return result


def ratios(ours: dict, peer: dict) -> dict:
    out = {}
    for key in ("load_cold_process_wall_s", "load_warm_ms", "resolve_alias_ms"):
        a = ours["T3"][key]["median"]
        b = (peer.get("T3") or {}).get(key, {}).get("median")
        if b:
            out[f"{key}_mlflow_over_loopml"] = round(b / a, 2) if a else None
    a = ours["T3"]["load_cold_process_wall_s"]["median"]
    out["loopml_cold_over_floor"] = round(a / ours["T3"]["floor_cold_process_wall_s"]["median"], 2)
    return {"ratios": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--peer-python", help="python of a venv with mlflow installed")
    parser.add_argument("--peer-harness", default=str(DEFAULT_HARNESS))
    args = parser.parse_args()
    if args.smoke:
        args.versions, args.cold, args.warm = 3, 1, 3
    work = Path(tempfile.mkdtemp(prefix="t3-loopml-"))
    try:
        result = run_loopml(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result), flush=True)
    if args.peer_python:
        peer = run_peer(args)
        print(json.dumps(peer), flush=True)
        if "error" not in peer:
            print(json.dumps(ratios(result, peer)), flush=True)


if __name__ == "__main__":
    main()
