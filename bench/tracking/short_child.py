"""One sitting of short runs (start, one metric, end) in this process; prints one JSON line.

Run by ``short_runs.py`` in a fresh interpreter, from the folder whose git state the runs
record (the folder of this script is the code folder, as for any user script).

    python short_child.py --runs 500 --home /tmp/h [--no-capture]
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--home", required=True)
    parser.add_argument("--no-capture", action="store_true")
    args = parser.parse_args()
    import loopml as lm

    lm.configure(home=args.home)
    capture = not args.no_capture
    for _ in range(args.warmup):
        with lm.start_run("short_runs", capture=capture) as run:
            run.log_metric("m", 1.0)
    start = time.perf_counter()
    for index in range(args.runs):
        with lm.start_run("short_runs", capture=capture) as run:
            run.log_metric("m", float(index))
    elapsed = time.perf_counter() - start
    info = lm.get_run(run.id)
    print(
        json.dumps(
            {
                "system": "loopml",
                "runs": args.runs,
                "runs_per_s": round(args.runs / elapsed, 1),
                "capture": capture,
                "git_commit": info.git_commit,
                "git_dirty": info.git_dirty,
                "env_digest": info.env_digest,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
