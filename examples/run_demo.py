"""Run every demo example in order (``make demo``); each prints where to look."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: examples in the order the demo tells the story; later capabilities append here
DEMO = [
    "quickstart.py",
    "model_registry.py",
    "serving.py",
    "datasets.py",
    "feature_store.py",
    "monitoring.py",
    "pipelines.py",
]


def main() -> int:
    for name in DEMO:
        print(f"\n=== {name} ===", flush=True)
        runpy.run_path(str(HERE / name), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
