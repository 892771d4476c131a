"""``reproduce``: rebuild a run's code and environment, run it again, and compare.

1. Preflight (:func:`plan`): the run's commit must be reachable in the repository of its
   source, its stored diff, package lock and every dataset version it used must be in
   the store. Everything missing is listed in one :class:`NotReproducible` error before
   any work starts.
2. Code: ``git archive`` of the commit into a temporary folder, then ``git apply`` of the
   stored diff (untracked files included), so the tree is exactly what ran.
3. Environment: the current interpreter when its packages match the lock; otherwise (or
   with ``fresh_env=True``) a new virtual environment with the lock installed
   (``pip install --no-index`` from the local wheel cache first, then the registry).
4. Re-run the entry point with the same arguments, seed and experiment; datasets are
   fetched by digest from the store by the code itself (``lm.load_dataset``).
5. Compare: params equal, metrics within ``tolerance``, artifacts by digest; every
   difference is reported.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml.lineage.errors import LineageNotFound, NotReproducible
from loopml.store.tables import core, data as dt, tracking as tt

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.store import Store

GIT_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class Plan:
    """What a reproduction needs, all checked present."""

    run_id: str
    experiment: str
    repo: Path
    script: str
    argv: list[str]
    commit: str
    diff_digest: str | None
    lock_digest: str
    seed: int | None
    datasets: list[str]


@dataclass(frozen=True, slots=True)
class Reproduction:
    """The outcome: the new run and every difference from the original."""

    original: str
    reproduced: str
    environment: str
    differences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_identical(self) -> bool:
        """Whether params, metrics (within tolerance) and artifacts all match."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "original": self.original,
            "reproduced": self.reproduced,
            "environment": self.environment,
            "identical": self.is_identical,
            "differences": self.differences,
        }


def plan(store: Store, run_id: str) -> Plan:
    """Check that everything ``run_id`` needs is there; list what is missing otherwise."""
    with store.db.read() as conn:
        row = conn.execute(
            select(tt.runs, tt.experiments.c.name.label("experiment"))
            .join(tt.experiments, tt.experiments.c.id == tt.runs.c.experiment_id)
            .where(tt.runs.c.id == run_id)
        ).first()
        if row is None:
            raise LineageNotFound(f"no run {run_id!r} in this store; see loopml runs list")
        artifacts = dict(
            conn.execute(
                select(tt.run_artifacts.c.path, tt.run_artifacts.c.digest).where(
                    tt.run_artifacts.c.run_id == run_id
                )
            ).all()
        )
        used = _used_datasets(conn, run_id)
    missing: list[str] = []
    environment = _environment(store, artifacts.get("_loopml/environment.json"))
    script = str(row.source or "")
    repo = _repo_of(Path(script).parent) if script else None
    if not row.git_commit:
        missing.append("the git commit (the run's code was not in a git repository)")
    elif repo is None:
        missing.append(f"the git repository of {script or 'the run'} (moved or deleted)")
    elif not _has_commit(repo, row.git_commit):
        missing.append(f"commit {row.git_commit} is not reachable in {repo} (fetch it)")
    if row.git_diff_digest and not store.blobs.exists(row.git_diff_digest):
        missing.append(f"the stored diff {row.git_diff_digest[:12]} (deleted from the blob store)")
    lock = artifacts.get("_loopml/requirements.txt")
    if not lock:
        missing.append("the environment lock (_loopml/requirements.txt was not captured)")
    for name, blob in used:
        if not store.blobs.exists(blob):
            missing.append(f"dataset version {name} (its data {blob[:12]} was deleted)")
    if missing:
        raise NotReproducible(f"run {run_id} cannot be reproduced; missing: " + "; ".join(missing))
    assert repo is not None
    assert lock is not None
    argv = [str(a) for a in environment.get("argv", [])][1:]
    return Plan(
        run_id=run_id,
        experiment=str(row.experiment),
        repo=repo,
        script=str(Path(script).resolve().relative_to(repo)),
        argv=argv,
        commit=str(row.git_commit),
        diff_digest=row.git_diff_digest,
        lock_digest=lock,
        seed=row.seed,
        datasets=[name for name, _ in used],
    )


def reproduce(
    store: Store,
    settings: Settings,
    run_id: str,
    *,
    tolerance: float = 1e-6,
    fresh_env: bool = False,
) -> Reproduction:
    """Rebuild and re-run ``run_id``; return the new run and every difference.

    Raises:
        NotReproducible: something needed is missing (listed), or the re-run failed.
    """
    steps = plan(store, run_id)
    with tempfile.TemporaryDirectory(prefix="loopml-reproduce-") as folder:
        tree = Path(folder) / "code"
        _checkout(store, steps, tree)
        python, environment = _interpreter(store, steps.lock_digest, Path(folder), fresh_env)
        started = int(time.time() * 1000)
        _rerun(settings, steps, tree, python)
    new_run = _new_run(store, steps.experiment, started, run_id)
    return Reproduction(
        run_id, new_run, environment, compare_runs(store, run_id, new_run, tolerance)
    )


def compare_runs(store: Store, a: str, b: str, tolerance: float) -> list[dict[str, Any]]:
    """Return every difference between two runs: params, metrics, artifacts."""
    with store.db.read() as conn:
        params = [_pairs(conn, tt.params, "value", r) for r in (a, b)]
        metrics = [_pairs(conn, tt.latest_metrics, "value", r) for r in (a, b)]
        files = [_pairs(conn, tt.run_artifacts, "digest", r, key="path") for r in (a, b)]
    found: list[dict[str, Any]] = []
    for key in sorted({*params[0], *params[1]}):
        if params[0].get(key) != params[1].get(key):
            found.append(
                {"kind": "param", "key": key, "a": params[0].get(key), "b": params[1].get(key)}
            )
    for key in sorted({*metrics[0], *metrics[1]}):
        x, y = metrics[0].get(key), metrics[1].get(key)
        if x is None or y is None or not math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance):
            found.append({"kind": "metric", "key": key, "a": x, "b": y})
    for key in sorted({*files[0], *files[1]}):
        if key.startswith("_loopml/"):
            continue  # the capture of the new run (argv, cwd) differs by design
        if files[0].get(key) != files[1].get(key):
            found.append(
                {"kind": "artifact", "key": key, "a": files[0].get(key), "b": files[1].get(key)}
            )
    return found


def _pairs(conn: Any, table: Any, column: str, run_id: str, key: str = "key") -> dict[str, Any]:
    rows = conn.execute(select(table.c[key], table.c[column]).where(table.c.run_id == run_id))
    return {str(k): v for k, v in rows.all()}


def _used_datasets(conn: Any, run_id: str) -> list[tuple[str, str]]:
    edges = core.lineage_edges
    ids = (
        conn.execute(
            select(edges.c.dst_id).where(
                edges.c.src_type == "run",
                edges.c.src_id == run_id,
                edges.c.relation == "used",
                edges.c.dst_type == "dataset_version",
            )
        )
        .scalars()
        .all()
    )
    found = []
    for node_id in ids:
        name, _, version = node_id.rpartition("/")
        blob = conn.execute(
            select(dt.dataset_versions.c.blob_digest)
            .join(dt.datasets, dt.datasets.c.id == dt.dataset_versions.c.dataset_id)
            .where(dt.datasets.c.name == name, dt.dataset_versions.c.version == int(version))
        ).scalar()
        found.append((node_id, str(blob or "0" * 64)))
    return found


def _environment(store: Store, digest: str | None) -> dict[str, Any]:
    if not digest:
        return {}
    try:
        body: dict[str, Any] = json.loads(store.blobs.get_bytes(digest))
    except Exception:  # an unreadable description only loses argv
        return {}
    return body


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        input=stdin,
        capture_output=True,
        timeout=GIT_TIMEOUT_S,
        check=False,
    )


def _repo_of(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    done = _git(folder, "rev-parse", "--show-toplevel")
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def _has_commit(repo: Path, commit: str) -> bool:
    return _git(repo, "cat-file", "-e", f"{commit}^{{commit}}").returncode == 0


def _checkout(store: Store, steps: Plan, tree: Path) -> None:
    tree.mkdir(parents=True)
    archive = _git(steps.repo, "archive", "--format=tar", steps.commit)
    if archive.returncode != 0:
        raise NotReproducible(f"git archive {steps.commit} failed: {archive.stderr.decode()}")
    unpacked = subprocess.run(
        ["tar", "-x", "-C", str(tree)], input=archive.stdout, capture_output=True, check=False
    )
    if unpacked.returncode != 0:
        raise NotReproducible(f"unpacking commit {steps.commit} failed: {unpacked.stderr.decode()}")
    if steps.diff_digest:
        patch = store.blobs.get_bytes(steps.diff_digest)
        applied = _git(tree, "apply", "--whitespace=nowarn", "-", stdin=patch)
        if applied.returncode != 0:
            raise NotReproducible(
                f"the stored diff does not apply to {steps.commit}: {applied.stderr.decode()}"
            )


def _interpreter(store: Store, lock_digest: str, folder: Path, fresh: bool) -> tuple[str, str]:
    lock = store.blobs.get_bytes(lock_digest).decode()
    if not fresh and _pins(lock) == _pins(_current_lock()):
        return sys.executable, "current interpreter (its packages match the lock)"
    venv = folder / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, check=False
    )
    if made.returncode != 0:
        raise NotReproducible(f"creating a virtual environment failed: {made.stderr.decode()}")
    python = str(venv / "bin" / "python")
    requirements = folder / "requirements.txt"
    requirements.write_text(lock)
    offline = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", "--quiet", "-r", str(requirements)],
        capture_output=True,
        check=False,
    )
    if offline.returncode != 0:
        online = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "-r", str(requirements)],
            capture_output=True,
            check=False,
        )
        if online.returncode != 0:
            error = online.stderr.decode()[-2000:]
            raise NotReproducible(f"installing the lock into a fresh environment failed: {error}")
    return python, f"fresh virtual environment {venv.name} from the lock"


def _pins(lock: str) -> set[str]:
    return {line.strip().lower() for line in lock.splitlines() if line.strip()}


def _current_lock() -> str:
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = f"{name}=={dist.version}"
    return "\n".join(found[k] for k in sorted(found))


def _rerun(settings: Settings, steps: Plan, tree: Path, python: str) -> None:
    env = {
        **os.environ,
        "LOOPML_HOME": str(settings.home),
        "LOOPML_DB_URL": settings.db_url,
        "LOOPML_ARTIFACTS": settings.artifacts,
        "LOOPML_EXPERIMENT": steps.experiment,
        "LOOPML_REPRODUCE_OF": steps.run_id,
        "PYTHONHASHSEED": str(steps.seed if steps.seed is not None else 0),
    }
    done = subprocess.run(
        [python, steps.script, *steps.argv], cwd=tree, env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        error = done.stderr.decode()[-2000:]
        raise NotReproducible(
            f"the re-run of {steps.script} exited with {done.returncode}: {error}"
        )


def _new_run(store: Store, experiment: str, since_ms: int, original: str) -> str:
    with store.db.read() as conn:
        row = conn.execute(
            select(tt.runs.c.id)
            .join(tt.experiments, tt.experiments.c.id == tt.runs.c.experiment_id)
            .where(
                tt.experiments.c.name == experiment,
                tt.runs.c.start_time >= since_ms,
                tt.runs.c.parent_id.is_(None),
                tt.runs.c.id != original,
            )
            .order_by(tt.runs.c.start_time.desc())
        ).first()
    if row is None:
        raise NotReproducible("the re-run finished but recorded no run in this store")
    return str(row.id)
