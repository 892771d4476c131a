"""loopml in the shared monitoring benchmark (M1, M2, M3): one JSON line per run.

Plugs into the peer harness in ``shared/peers/monitoring`` (same data, same protocol as the
Evidently, NannyML and floor runners: fresh process per repetition, CPU time and peak memory
of the call):

    python bench/monitoring/run_loopml.py --workload M1 --reps 3 --data-dir DATA
    python bench/monitoring/run_loopml.py --smoke        # tiny self-contained run, no data

The call covers everything a user would do: fit the reference summary from the DataFrame
(once) and check the current data (M1, M2) or each of the 200 batches (M3) with the default
drift rule (Holm-corrected KS / chi-square p < 0.05 and Wasserstein/std >= 0.1 or
Jensen-Shannon >= 0.05).

Variants: ``default`` (the per-window verdict), ``confirm2`` (M3: a column alarms after two
consecutive drifted batches, the ``for_windows=2`` rule).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _harness_dir() -> Path:
    configured = os.environ.get("LOOPML_PEERS_MONITORING")
    candidates = [Path(configured)] if configured else []
    candidates += [p / "shared" / "peers" / "monitoring" for p in HERE.parents]
    for candidate in candidates:
        if (candidate / "harness.py").is_file():
            return candidate
    raise SystemExit("cannot find shared/peers/monitoring/harness.py; set LOOPML_PEERS_MONITORING")


NAME = "loopml"
VARIANT = os.environ.get("BENCH_VARIANT", "default")
LOADER = "df"


def version() -> str:
    global ReferenceSummary, detect_drift
    import loopml
    from loopml.monitoring import ReferenceSummary, detect_drift

    return loopml.__version__


def compare(ref, cur):
    report = detect_drift(ReferenceSummary.fit(ref), cur)
    flags = set(report.drifted)
    extra = {
        "share": report.share,
        "effect": {c.column: round(c.effect, 5) for c in report.columns},
        "p_adjusted": {c.column: float(f"{c.p_adjusted:.3g}") for c in report.columns},
    }
    return flags, extra


def stream(ref, data, batch=5_000):
    summary = ReferenceSummary.fit(ref)
    out, previous = [], set()
    for start in range(0, len(data), batch):
        drifted = set(detect_drift(summary, data.iloc[start : start + batch]).drifted)
        out.append(drifted & previous if VARIANT == "confirm2" else drifted)
        previous = drifted
    return out, {"variant": VARIANT}


def smoke() -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)

    def frame(n, shift):
        return pd.DataFrame(
            {
                "a": rng.normal(shift, 1, n),
                "b": rng.exponential(1, n),
                "c": rng.choice(
                    ["x", "y", "z"], n, p=[0.5, 0.3, 0.2] if not shift else [0.2, 0.3, 0.5]
                ),
            }
        )

    version()
    started, cpu = time.perf_counter(), time.process_time()
    flags, extra = compare(frame(5_000, 0.0), frame(5_000, 0.5))
    flow, _ = stream(frame(5_000, 0.0), pd.concat([frame(500, 0.0), frame(500, 1.0)]), batch=500)
    print(
        json.dumps(
            {
                "tool": NAME,
                "workload": "smoke",
                "flags": sorted(flags),
                "stream_flags": [sorted(s) for s in flow],
                "wall_s": round(time.perf_counter() - started, 3),
                "cpu_s": round(time.process_time() - cpu, 3),
                "share": extra["share"],
            }
        )
    )


if __name__ == "__main__":
    if "--smoke" in sys.argv:
        smoke()
    else:
        sys.path.insert(0, str(_harness_dir()))
        import harness

        harness.main(globals())
