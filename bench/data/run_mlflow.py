"""The same workload through MLflow's dataset tracking (run it from an MLflow venv).

MLflow records a dataset as a digest, a schema and a small profile (``mlflow.data``),
and stores no snapshot; storing one means writing parquet and logging it as an artifact,
which is timed too. Example::

    scratch/peers/mlflow/bin/python bench/data/run_mlflow.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from common import make_frame, one_value_changed

if TYPE_CHECKING:
    from collections.abc import Callable


def timed(step: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    rows, repeat = (1_000, 1) if args.smoke else (args.rows, args.repeat)
    warnings.filterwarnings("ignore")
    import mlflow

    frame = make_frame(rows)
    with tempfile.TemporaryDirectory() as home:
        mlflow.set_tracking_uri(f"sqlite:///{Path(home) / 'mlflow.db'}")
        # artifacts under the temporary folder, not ./mlruns of the working directory
        mlflow.create_experiment("bench", artifact_location=(Path(home) / "artifacts").as_uri())
        mlflow.set_experiment("bench")
        with mlflow.start_run():
            digest_s = timed(lambda: mlflow.data.from_pandas(frame, name="bench"), repeat)
            dataset = mlflow.data.from_pandas(frame, name="bench")
            log_input_s = timed(lambda: mlflow.log_input(dataset, context="training"), repeat)
            parquet = Path(home) / "bench.parquet"

            def snapshot() -> None:
                frame.to_parquet(parquet)
                mlflow.log_artifact(str(parquet), "datasets")

            snapshot_s = timed(snapshot, repeat)
            changed = mlflow.data.from_pandas(one_value_changed(frame), name="bench")
    print(
        json.dumps(
            {
                "system": "mlflow",
                "version": mlflow.__version__,
                "rows": rows,
                "digest_and_profile_s": digest_s,
                "log_input_s": log_input_s,
                "parquet_artifact_s": snapshot_s,
                "detects_one_changed_value": changed.digest != dataset.digest,
                "stores_snapshot": False,
                "profile_keys": sorted(dataset.profile or {}),
            }
        )
    )


if __name__ == "__main__":
    main()
