"""loopml's overhead per trial against bare Optuna on the same storage (issue 14: < 5 ms).

Both run the same trivial objective with the same sampler on the same SQLite file
(Optuna's RDB storage), interleaved in rounds; the difference per trial is what loopml
adds (a child run with params, the metric, tags and the trial's attributes). Prints JSON.

    python bench/tune/run_loopml.py --trials 100 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import optuna

import loopml as lm
from loopml.training.storage import open_storage

SPACE = {"x": (-10.0, 10.0), "y": (-10.0, 10.0)}


def bare(storage: optuna.storages.RDBStorage, trials: int, name: str) -> float:
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", -10, 10) ** 2 + trial.suggest_float("y", -10, 10) ** 2

    started = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return (time.perf_counter() - started) / trials * 1000


def tracked(trials: int, name: str) -> float:
    started = time.perf_counter()
    lm.tune(
        lambda t: t.params["x"] ** 2 + t.params["y"] ** 2,
        SPACE,
        n_trials=trials,
        study=name,
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    return (time.perf_counter() - started) / trials * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-tune-") as home:
        client = lm.configure(home=home)
        storage = open_storage(client.store.db.url)
        bare_ms, loopml_ms = [], []
        for round_number in range(args.rounds):
            bare_ms.append(bare(storage, args.trials, f"bare-{round_number}"))
            loopml_ms.append(tracked(args.trials, f"loopml-{round_number}"))
        storage.engine.dispose()
        client.close()
    result = {
        "bench": "tune",
        "storage": "sqlite file (Optuna RDBStorage in loopml's metadata database)",
        "trials_per_round": args.trials,
        "rounds": args.rounds,
        "optuna_ms_per_trial": round(statistics.median(bare_ms), 2),
        "loopml_ms_per_trial": round(statistics.median(loopml_ms), 2),
        "overhead_ms_per_trial": round(
            statistics.median(loopml_ms) - statistics.median(bare_ms), 2
        ),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
