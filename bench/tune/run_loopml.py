"""loopml's overhead per trial against bare Optuna on the same storage (issue 14: < 5 ms).

Both run the same trivial objective with the same sampler on the same storage (Optuna's
RDB storage in loopml's metadata database: a SQLite file, or with ``--db`` a fresh
database on a PostgreSQL server, dropped afterwards), interleaved in rounds; the
difference per trial is what loopml adds (a child run with params, tags, the metric and
the trial's run id in Optuna). Wall time and this process's CPU time per trial (medians
over rounds); on PostgreSQL the server's CPU is not in the CPU figure. One more study
times only loopml's own work per trial (the trial loop outside Optuna's ask and tell),
steadier than the difference of two totals on a loaded machine. Prints JSON.

    python bench/tune/run_loopml.py --trials 100 --rounds 3
    python bench/tune/run_loopml.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid

import optuna
from sqlalchemy import create_engine, text

import loopml as lm
from loopml.training.storage import open_storage

SPACE = {"x": (-10.0, 10.0), "y": (-10.0, 10.0)}


def bare(storage: optuna.storages.RDBStorage, trials: int, name: str) -> tuple[float, float]:
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", -10, 10) ** 2 + trial.suggest_float("y", -10, 10) ** 2

    started, cpu = time.perf_counter(), time.process_time()
    study.optimize(objective, n_trials=trials)
    return _per_trial(started, cpu, trials)


def _per_trial(started: float, cpu: float, trials: int) -> tuple[float, float]:
    wall_ms = (time.perf_counter() - started) / trials * 1000
    return wall_ms, (time.process_time() - cpu) / trials * 1000


def tracked(trials: int, name: str) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    lm.tune(
        lambda t: t.params["x"] ** 2 + t.params["y"] ** 2,
        SPACE,
        n_trials=trials,
        study=name,
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    return _per_trial(started, cpu, trials)


def own_cpu(trials: int, name: str) -> float:
    """CPU ms per trial spent in loopml's trial loop outside Optuna's ask and tell.

    Steadier than a difference of two totals on a loaded machine: one more tracked study
    with ``run_one``, ``Study.ask`` and the worker's tell (``worker._tell``, which calls
    Optuna's) timed (the objective is trivial).
    """
    import loopml.training.worker as worker

    spent = {"run_one": 0.0, "optuna": 0.0}
    originals = (worker.run_one, optuna.Study.ask, worker._tell)

    def timing(function, bucket):
        def timed(*args, **kwargs):
            cpu = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[bucket] += time.process_time() - cpu

        return timed

    worker.run_one = timing(originals[0], "run_one")
    optuna.Study.ask = timing(originals[1], "optuna")
    worker._tell = timing(originals[2], "optuna")
    try:
        tracked(trials, name)
    finally:
        worker.run_one, optuna.Study.ask, worker._tell = originals
    return (spent["run_one"] - spent["optuna"]) / trials * 1000


def fresh_database(server: str) -> str:
    from loopml.store import Database

    base = Database(server, migrate=False).url
    name = f"tune_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    assert name.startswith("tune_bench_"), name  # only what this script created
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    db_url = fresh_database(args.db) if args.db else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-tune-") as home:
            client = lm.configure(home=home, db_url=db_url)
            storage = open_storage(client.store.db.url)
            bare_ms, loopml_ms = [], []
            for round_number in range(args.rounds):
                bare_ms.append(bare(storage, args.trials, f"bare-{round_number}"))
                loopml_ms.append(tracked(args.trials, f"loopml-{round_number}"))
            own_ms = own_cpu(args.trials, "loopml-own")
            storage.engine.dispose()
            client.close()
    finally:
        if db_url is not None:
            drop_database(db_url)
    wall = [median([b[0] for b in bare_ms]), median([m[0] for m in loopml_ms])]
    cpu = [median([b[1] for b in bare_ms]), median([m[1] for m in loopml_ms])]
    result = {
        "bench": "tune",
        "storage": "postgresql" if args.db else "sqlite file",
        "trials_per_round": args.trials,
        "rounds": args.rounds,
        "optuna_ms_per_trial": wall[0],
        "loopml_ms_per_trial": wall[1],
        "overhead_ms_per_trial": round(wall[1] - wall[0], 2),
        "optuna_cpu_ms_per_trial": cpu[0],
        "loopml_cpu_ms_per_trial": cpu[1],
        "overhead_cpu_ms_per_trial": round(cpu[1] - cpu[0], 2),
        "loopml_own_cpu_ms_per_trial": round(own_ms, 2),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
