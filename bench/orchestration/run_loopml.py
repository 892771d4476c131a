"""Orchestration benchmarks O1 (overhead) and O2 (realistic) for loopml.

Same CLI and ``RESULT {json}`` lines as the peers' runners in
``shared/peers/orchestration`` (``compare.py`` runs them side by side). Each invocation
uses a fresh state folder: no server, no set-up step.

    python bench/orchestration/run_loopml.py --workload O1 --state /tmp/o1
    python bench/orchestration/run_loopml.py --workload O2 --state /tmp/o2 --executor threads
    python bench/orchestration/run_loopml.py --smoke     # tiny O1, for CI

Modes: ``first`` is the first run on a fresh store, creating and migrating the database
inside the timed call; ``rerun(no-cache)`` re-runs every step in the same process with the
cache off (every step's run, metadata, artifacts and lineage written again); ``cached`` is
the identical re-run where every step is a cache hit. With ``--warm-store`` the store is
created first (reported as ``warmup(store-setup)``, like the peers' warmups) and ``cold``
is the first pipeline run of the process: the figure comparable to the peers' ``cold``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loopml as lm  # noqa: E402

IMPORT_S = time.perf_counter() - START

import workload as W  # noqa: E402


@lm.step
def source() -> int:
    return W.source()


@lm.step
def fan(seed: int, i: int) -> object:
    return W.fan(seed, i)


@lm.step
def sink(arrays: list) -> float:
    return W.sink(arrays)


@lm.pipeline
def o1(n: int = W.N_FAN):
    seed = source()
    return sink([fan(seed, i) for i in range(n)])


@lm.step(outputs=("x_train", "x_test", "y_train", "y_test"))
def load_split():
    x, y = W.o2_load()
    return tuple(W.o2_split(x, y))


@lm.step
def train(x_train: object, y_train: object, k: int) -> object:
    return W.o2_train(x_train, y_train, W.HYPERPARAMS[k])


@lm.step
def evaluate(model: object, x_test: object, y_test: object) -> float:
    return W.o2_evaluate(model, x_test, y_test)


@lm.step
def pick(scores: list) -> int:
    return W.o2_pick_best(scores)


@lm.pipeline
def o2():
    x_train, x_test, y_train, y_test = load_split()
    scores = [evaluate(train(x_train, y_train, k), x_test, y_test) for k in range(4)]
    return pick(scores)


def metadata_counts(client: lm.Client, run_id: str) -> dict:
    """Prove the metadata is there: step runs, their tracking runs, lineage edges."""
    from sqlalchemy import func, select

    from loopml.store.tables import core, pipelines, tracking

    with client.store.db.read() as conn:
        steps = conn.execute(
            select(func.count()).where(pipelines.step_runs.c.pipeline_run_id == run_id)
        ).scalar()
        runs = conn.execute(
            select(func.count()).where(tracking.runs.c.pipeline_run_id == run_id)
        ).scalar()
        ids = select(pipelines.step_runs.c.id).where(
            pipelines.step_runs.c.pipeline_run_id == run_id
        )
        edges = conn.execute(
            select(func.count()).where(
                core.lineage_edges.c.src_type == "step_run", core.lineage_edges.c.src_id.in_(ids)
            )
        ).scalar()
    return {"step_runs": steps, "tracking_runs": runs, "lineage_edges": edges}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", default="O1", choices=["O1", "O2"])
    parser.add_argument("--state", default=None)
    parser.add_argument("--executor", default="local")
    parser.add_argument("--smoke", action="store_true", help="tiny O1 for CI")
    parser.add_argument(
        "--warm-store",
        action="store_true",
        help="create the store before timing (like the peers' warmup), then time a cold run",
    )
    args = parser.parse_args()
    state = Path(args.state or tempfile.mkdtemp(prefix="loopml-bench-"))
    state.mkdir(parents=True, exist_ok=True)
    if any(state.iterdir()):
        raise SystemExit(f"{state} is not empty; pass a fresh --state folder")
    client = lm.configure(
        home=str(state), db_url=f"sqlite:///{state / 'loopml.db'}", artifacts=str(state / "art")
    )
    pipeline = o1 if args.workload == "O1" else o2
    params = {"n": 8} if args.smoke else {}
    steps = (params.get("n", W.N_FAN) + 2) if args.workload == "O1" else 10
    modes = [("first", True), ("rerun(no-cache)", False), ("cached", True)]
    if args.warm_store:
        with W.Timer() as timer:
            client.store.db.ensure_schema()
        W.emit(tool="loopml", workload=args.workload, mode="warmup(store-setup)", wall_s=timer.s,
               n_steps=1, ok=True)  # fmt: skip
        modes = [("cold", True), ("cached", True)]
    for mode, cache in modes:
        with W.Timer() as timer:
            run = pipeline.run(executor=args.executor, cache=cache, **params)
        result = run.outputs
        if args.workload == "O1":
            expected = float(sum(range(params.get("n", W.N_FAN))) * W.ARRAY_LEN)
            ok = result == expected
        else:
            ok = isinstance(result, int)
        statuses = run.info.counts()
        W.emit(
            tool="loopml" if args.executor == "local" else f"loopml-{args.executor}",
            version=lm.__version__,
            workload=args.workload,
            mode=mode,
            wall_s=timer.s,
            cpu_s=timer.cpu_s,
            import_s=IMPORT_S,
            n_steps=steps,
            result=result,
            ok=ok and run.status == "SUCCEEDED",
            step_status=statuses,
            metadata=metadata_counts(client, run.id),
            loadavg1=os.getloadavg()[0],
        )
    client.close()
    if args.state is None:
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
