"""``make demo``: the closed loop end to end (what ``loopml demo`` shows), then where to look.

A champion is trained and served on a real HTTP server; a client thread sends traffic and
delayed labels; drift is injected; the scheduler's monitor detects it and the loop retrains,
gates, canaries, promotes and hot-swaps; then a bad challenger is blocked by the gates and
a slow one is rolled back by its canary. ``--all`` also runs the component examples
(quickstart, registry, serving, datasets, features, monitoring, pipelines) first.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import loopml as lm

HERE = Path(__file__).resolve().parent

#: the component examples, in the order the platform tour tells them (``--all``)
TOUR = [
    "quickstart.py",
    "model_registry.py",
    "serving.py",
    "datasets.py",
    "feature_store.py",
    "monitoring.py",
    "pipelines.py",
]


def narrate(stage: str, text: str) -> None:
    print(f"  {text}" if text else f"\n== {stage}", flush=True)


def main(argv: list[str]) -> int:
    if "--all" in argv:
        for name in TOUR:
            print(f"\n=== {name} ===", flush=True)
            runpy.run_path(str(HERE / name), run_name="__main__")
    summary = lm.run_demo(on_line=narrate)
    print("\n" + json.dumps(summary.to_dict(), indent=2))
    print("\nwhere to look next:\n  " + "\n  ".join(summary.look_next))
    return 1 if summary.error else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
