"""Serve a pickled scikit-learn model with the loopml serving stack, without a registry.

Used by the benchmark to isolate the server from the registry, and as a fallback before
a model is registered:

    python bench/serving/direct_server.py MODEL.joblib --port 8000 [--no-log] [--no-batching]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True)
class Signature:
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]


class SklearnModel:
    """The least a served scikit-learn model needs: predict on an ndarray."""

    def __init__(self, estimator, name: str, version: int, n_features: int) -> None:
        self.estimator = estimator
        self.native = estimator
        self.name = name
        self.version = version
        self.flavor = "sklearn"
        self.signature = Signature(
            tuple(Column(f"f{i}", "float64") for i in range(n_features)),
            (Column("prediction", "int64"),),
        )

    def predict_array(self, x):
        return self.estimator.predict(x)

    def predict_proba_array(self, x):
        return self.estimator.predict_proba(x)


class DirectSource:
    """Versions are re-loads of one pickle; the alias is a number in a file (for hot swap)."""

    def __init__(self, path: str, root: str, alias_file: str | None) -> None:
        from loopml.store.blob_backends.local import LocalBlobBackend
        from loopml.store.events import EventLog

        self.path = path
        self.alias_file = alias_file
        self.log = EventLog(LocalBlobBackend(root))
        self.store = None

    def resolve(self, target):
        if self.alias_file is None:
            return 1
        with open(self.alias_file) as f:
            return int(f.read().strip() or 1)

    def load(self, target, version):
        import joblib

        estimator = joblib.load(self.path)
        n = int(getattr(estimator, "n_features_in_", 20))
        return SklearnModel(estimator, target.name, version, n)

    def event_log(self):
        return self.log

    def example_rows(self, model):
        return None  # warm-up on rows generated from the signature

    def record_refused_swap(self, deployment, refusal):
        print(f"refused swap of {deployment}: {refusal.reason}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--no-log", action="store_true")
    ap.add_argument("--no-batching", action="store_true")
    ap.add_argument("--shadow", action="store_true")
    ap.add_argument("--root", default=None)
    ap.add_argument("--alias-file", default=None)
    a = ap.parse_args()
    started = time.perf_counter()
    from loopml.serving.server import ServeConfig, run

    root = a.root or tempfile.mkdtemp(prefix="loopml-bench-")
    source = DirectSource(a.model, root, a.alias_file)
    config = ServeConfig(
        "bench@champion",
        port=a.port,
        log_predictions=not a.no_log,
        max_batch_size=1 if a.no_batching else 64,
        shadow="bench@champion" if a.shadow else None,
        poll_interval=0.25 if a.alias_file else 0,
    )
    print(f"built in {time.perf_counter() - started:.2f}s", flush=True)
    run(config, source)


if __name__ == "__main__":
    main()
