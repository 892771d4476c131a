"""Dataset versioning benchmark: digest, profile, log, re-log and load a wide numeric table.

Prints one JSON object with the median of ``--repeat`` runs of each step. The table has
``--rows`` rows: 8 float columns, 1 integer id, 1 low-cardinality string column and a
timestamp column (seeded, deterministic). Example::

    python bench/data/run_loopml.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from common import make_frame, one_value_changed

import loopml as lm
from loopml.data import content_digest, profile_table

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
    parser.add_argument("--smoke", action="store_true", help="tiny size, one repeat")
    args = parser.parse_args()
    rows, repeat = (1_000, 1) if args.smoke else (args.rows, args.repeat)
    frame = make_frame(rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with tempfile.TemporaryDirectory() as home:
        lm.configure(home=home, db_url=f"sqlite:///{Path(home) / 'loopml.db'}")
        counter = iter(range(10**6))
        schema = lm.Schema.from_profile(profile_table(table))
        result = {
            "system": "loopml",
            "rows": rows,
            "columns": table.num_columns,
            "arrow_bytes": table.nbytes,
            "digest_s": timed(lambda: content_digest(table), repeat),
            "profile_s": timed(lambda: profile_table(table), repeat),
            "log_new_s": timed(lambda: lm.log_dataset(frame, f"bench{next(counter)}"), repeat),
            "relog_same_s": timed(lambda: lm.log_dataset(frame, "bench0"), repeat),
            "load_s": timed(lambda: lm.load_dataset("bench0"), repeat),
            "validate_inferred_schema_s": timed(lambda: lm.validate(table, schema), repeat),
            "detects_one_changed_value": lm.log_dataset(one_value_changed(frame), "bench0").digest
            != lm.get_dataset_version("bench0", 1).digest,
            "stores_snapshot": True,
        }
        lm.get_client().close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
