"""The tracking API of one store: experiments, runs, search, histories, artifacts."""

from __future__ import annotations

import base64
import getpass
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import bindparam, select, update

from loopml._utils.clock import now_ms
from loopml._utils.hashing import digest_json
from loopml._utils.ids import new_id
from loopml.errors import ArtifactNotFound, InvalidInput
from loopml.store.hooks import LifecycleEvent, notify
from loopml.store.tables import tracking as t
from loopml.tracking import (
    artifacts as codec,
    capture as cap,
    experiments as ex,
    frames,
    heartbeat as beats,
    provenance as prov,
    reads,
    run as runs,
    validation as v,
)
from loopml.tracking.heartbeat import HeartbeatSettings
from loopml.tracking.run import ModelLogger, Run, active_run

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import Connection

    from loopml.store import Store
    from loopml.tracking.entities import ArtifactInfo, Experiment, Metric, RunInfo

Output = Literal["frame", "list"]
_ID_CACHE_S = 5.0


class RunPage(list["RunInfo"]):
    """A page of search results; ``next_page_token`` is ``None`` on the last page."""

    next_page_token: str | None = None


class Tracking:
    """Experiments and runs of one :class:`~loopml.store.Store`.

    Args:
        store: where runs are recorded.
        default_experiment: experiment for runs that name none.
        log_model: writes model packages for ``run.log_model`` (the client hands over
            ``loopml.models``'); without it runs cannot log models.
        heartbeat: how often open runs renew their lease and how long it lasts; a run
            whose process died is marked FAILED once its lease expires.
    """

    def __init__(
        self,
        store: Store,
        default_experiment: str = "default",
        *,
        log_model: ModelLogger | None = None,
        heartbeat: HeartbeatSettings | None = None,
    ) -> None:
        self.store = store
        self.default_experiment = default_experiment
        self.log_model = log_model
        self.heartbeat = heartbeat or HeartbeatSettings()
        self._ids: dict[str | int, tuple[int, float]] = {}
        self._experiments: dict[str, Experiment] = {}
        self._sweeper = beats.Sweeper(store.db)

    def __repr__(self) -> str:
        return f"Tracking({self.store!r})"

    # ------------------------------------------------------------------ experiments
    def set_experiment(self, name: str) -> Experiment:
        """Make ``name`` the experiment of later runs (created if missing)."""
        experiment = ex.get_or_create_experiment(self.store.db, name)
        self.default_experiment = name
        return experiment

    def create_experiment(self, name: str, description: str | None = None) -> Experiment:
        """Create an experiment; an existing name is an error."""
        return ex.create_experiment(self.store.db, name, description)

    def get_experiment(self, name_or_id: str | int) -> Experiment:
        """Return an experiment by name or id."""
        return ex.get_experiment(self.store.db, name_or_id)

    def list_experiments(self, *, include_deleted: bool = False) -> list[Experiment]:
        """Return all experiments, by name."""
        return ex.list_experiments(self.store.db, include_deleted=include_deleted)

    def rename_experiment(self, name_or_id: str | int, new_name: str) -> Experiment:
        """Rename an experiment."""
        self._ids.clear()
        self._experiments.clear()
        return ex.rename_experiment(self.store.db, name_or_id, new_name)

    def delete_experiment(self, name_or_id: str | int) -> Experiment:
        """Mark an experiment deleted."""
        self._ids.clear()
        self._experiments.clear()
        return ex.delete_experiment(self.store.db, name_or_id)

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        experiment: str | None = None,
        name: str | None = None,
        *,
        run_id: str | None = None,
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
        nested: bool = True,
        parent_id: str | None = None,
        pipeline_run_id: str | None = None,
        step_name: str | None = None,
        capture: bool = True,
        code_dir: str | os.PathLike[str] | None = None,
        on_create: Callable[[Connection, str], None] | None = None,
    ) -> Run:
        """Start a run (or resume one by ``run_id``) and make it the active run.

        A new run's row, its ``params`` and ``tags`` are written in one transaction.

        Args:
            experiment: experiment name (created if missing); default: the current one.
            name: run name (default: ``run-<8 hex>``).
            run_id: resume this run instead of starting a new one.
            params: parameters to log at once.
            tags: tags to set at once.
            nested: make the active run (if any) the parent of the new run.
            parent_id: explicit parent run id (overrides ``nested``).
            pipeline_run_id: the pipeline run this run belongs to.
            step_name: the pipeline step this run executes.
            capture: record git state and environment (in the background).
            code_dir: folder whose git repository describes the code (default: the folder
                of the ``__main__`` script, else the working directory).
            on_create: called with the connection and the new run's id inside the
                transaction that inserts the run, to write the caller's own rows with it
                (new runs only).

        Returns:
            The active :class:`Run`; use it as a context manager.

        Raises:
            InvalidInput: a bad param or tag (nothing is written), or ``on_create`` with
                ``run_id``.
        """
        if run_id is not None:
            if on_create is not None:
                raise InvalidInput("on_create applies to new runs; it cannot resume run_id")
            run = self._resume(run_id)
            runs.push_active(run)
            if params:
                run.log_params(params)
            if tags:
                run.set_tags(tags)
            return run
        parent = parent_id
        if parent is None and nested:
            active = active_run()
            if active is not None and active.store is self.store:
                parent = active.id
        new = _NewRun(
            experiment,
            name,
            parent,
            pipeline_run_id,
            step_name,
            {v.check_key("param", k): v.param_value(k, val) for k, val in (params or {}).items()},
            {v.check_key("tag", k): v.tag_value(k, val) for k, val in (tags or {}).items()},
            on_create,
        )
        folder = Path(code_dir) if code_dir is not None else None
        run = self._create(new, capture, folder)
        runs.push_active(run)
        return run

    def _create(self, new: _NewRun, capture: bool, code_dir: Path | None) -> Run:
        db = self.store.db
        experiment_name, name, parent_id = new.experiment, new.name, new.parent_id
        if experiment_name is None and parent_id is not None:
            # A child run belongs to its parent's experiment unless told otherwise.
            with db.read() as conn:
                parent_row = reads.require_run(conn, db, parent_id)
            experiment = ex.get_experiment(db, int(parent_row.experiment_id))
        else:
            experiment = self._run_experiment(experiment_name or self.default_experiment)
        run_id = new_id()
        run_name = v.check_name("run", name) if name is not None else f"run-{run_id[:8]}"
        # A capture still valid in this process's caches is recorded with the run's row;
        # otherwise the run computes it in the background and records it when it ends.
        captured = cap.cached_capture(code_dir) if capture else None
        found = prov.provenance(self.store, captured) if captured is not None else None
        now = now_ms()
        row = {
            "id": run_id,
            "experiment_name": experiment.name,
            "name": run_name,
            "status": "RUNNING",
            "start_time": now,
            "user_name": _user(),
            "parent_id": parent_id,
            "pipeline_run_id": new.pipeline_run_id,
            "step_name": new.step_name,
            "source": _source(),
            "seed": runs.current_seed(),
            "alive_until": self.heartbeat.lease_until(now),
            **(found.columns if found is not None else prov.EMPTY),
        }
        with db.write() as conn:
            # A child's row takes its parent's id from the parent's row: NULL if none.
            inserted = conn.execute(
                _INSERT_RUN if parent_id is None else _INSERT_CHILD_RUN, row
            ).one()
            if parent_id is not None and inserted.parent_id is None:
                reads.require_run(conn, db, parent_id)  # raises RunNotFound, rolls back
            stored_in = inserted.experiment_id
            if found is not None:
                prov.write(conn, self.store, run_id, found, now, columns=False)
            if new.params:
                params = _param_rows(run_id, new.params)
                conn.execute(db.upsert(t.params, ["run_id", "key"], []), params)
            if new.tags:
                tags = [{"run_id": run_id, "key": k, "value": val} for k, val in new.tags.items()]
                conn.execute(db.upsert(t.tags, ["run_id", "key"], ["value"]), tags)
            if new.on_create is not None:
                new.on_create(conn, run_id)
        if stored_in != experiment.id:  # renamed away and re-created by another process
            experiment = ex.get_experiment(db, int(stored_in))
        run = Run(
            self.store,
            run_id,
            experiment,
            run_name,
            parent_id=parent_id,
            params=new.params,
            capture=capture and found is None,
            code_dir=code_dir,
            model_logger=self.log_model,
            heartbeat=self.heartbeat,
        )
        if self.store.hooks:
            parent = ("run", parent_id) if parent_id else None
            notify(
                self.store,
                LifecycleEvent("run", run_id, "START", now_ms(), experiment.name, parent),
            )
        return run

    def _run_experiment(self, name: str) -> Experiment:
        # Experiments are never removed, so a name seen once exists; the run's INSERT looks
        # the id up by name again, which catches a rename made by another process.
        cached = self._experiments.get(name)
        if cached is None:
            cached = ex.get_or_create_experiment(self.store.db, name)
            if len(self._experiments) > 1024:
                self._experiments.clear()
            self._experiments[name] = cached
        return cached

    def _resume(self, run_id: str) -> Run:
        db = self.store.db
        with db.write() as conn:
            row = reads.require_run(conn, db, run_id)
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(
                    status="RUNNING",
                    end_time=None,
                    error=None,
                    alive_until=self.heartbeat.lease_until(),
                )
            )
            params = dict(
                conn.execute(
                    select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
                ).all()
            )
            steps = {
                key: step + 1
                for key, step in conn.execute(
                    select(t.latest_metrics.c.key, t.latest_metrics.c.step).where(
                        t.latest_metrics.c.run_id == run_id
                    )
                ).all()
            }
        experiment = ex.get_experiment(db, int(row.experiment_id))
        return Run(
            self.store,
            run_id,
            experiment,
            row.name,
            parent_id=row.parent_id,
            params=params,
            next_steps=steps,
            capture=False,
            model_logger=self.log_model,
            heartbeat=self.heartbeat,
        )

    def active_run(self) -> Run | None:
        """Return the innermost active run of this thread, if any."""
        return active_run()

    def get_run(self, run_id: str) -> RunInfo:
        """Return a run with its params, latest metrics and tags."""
        self._sweeper.maybe_sweep()
        return reads.get_run(self.store.db, run_id)

    def resolve_run_id(self, prefix: str, *, include_deleted: bool = True) -> str:
        """Return the full run id for a unique prefix (at least 4 characters)."""
        return reads.resolve_run_id(self.store.db, prefix, include_deleted=include_deleted)

    def count_runs(self, experiment: str | int | None = None) -> int:
        """Return how many (non-deleted) runs exist, in one experiment or in all."""
        experiment_id = None if experiment is None else self.get_experiment(experiment).id
        return reads.count_runs(self.store.db, experiment_id)

    def delete_run(self, run_id: str, *, purge: bool = False) -> None:
        """Hide a run from searches; ``purge=True`` deletes it and its data for good."""
        reads.delete_run(self.store.db, run_id, purge=purge)

    def restore_run(self, run_id: str) -> None:
        """Bring back a deleted (not purged) run."""
        reads.restore_run(self.store.db, run_id)

    # ------------------------------------------------------------------ search
    def search_runs(
        self,
        experiment: str | int | Sequence[str | int] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | str | None = None,
        limit: int = 100,
        page_token: str | None = None,
        *,
        output: Output = "frame",
        include_deleted: bool = False,
    ) -> Any:
        """Search runs with the filter language (see docs/search.md).

        Args:
            experiment: one experiment (name or id), several, or ``None`` for all.
            filter: e.g. ``"metrics.acc > 0.9 and params.model = 'gbm'"``.
            order_by: e.g. ``["metrics.acc desc", "start_time"]``; default newest first.
            limit: page size (1 to 50,000).
            page_token: ``next_page_token`` of the previous page.
            output: ``"frame"`` (a pandas DataFrame) or ``"list"`` (a :class:`RunPage`).
            include_deleted: include deleted runs.

        Returns:
            A DataFrame (``frame.attrs["next_page_token"]`` holds the token) or a RunPage.

        Raises:
            InvalidFilter: the filter or order is malformed (the message points at it).
        """
        from loopml.tracking import search as s  # the parser: only for searches

        node = s.parse_filter(filter)
        order = s.parse_order_by(order_by)
        self._sweeper.maybe_sweep()
        experiment_ids = self._experiment_ids(experiment)
        fingerprint = digest_json([str(node), [str(o) for o in order], experiment_ids, limit])
        offset = _read_token(page_token, fingerprint)
        found, has_more = reads.search(
            self.store.db,
            experiment_ids,
            node,
            order,
            limit,
            offset,
            include_deleted=include_deleted,
        )
        token = _make_token(offset + limit, fingerprint) if has_more else None
        if output == "list":
            page = RunPage(found)
            page.next_page_token = token
            return page
        if output != "frame":
            raise InvalidInput(f"output must be 'frame' or 'list', not {output!r}")
        frame = frames.runs_frame(found)
        frame.attrs["next_page_token"] = token
        return frame

    def _experiment_ids(
        self, experiment: str | int | Sequence[str | int] | None
    ) -> list[int] | None:
        if experiment is None:
            return None
        names = [experiment] if isinstance(experiment, str | int) else list(experiment)
        return [self._experiment_id(name) for name in names]

    def _experiment_id(self, name: str | int) -> int:
        # Ids never change; a name could move to another experiment only through a rename
        # plus a create, so a few seconds of caching is safe and saves a query per search.
        now = time.monotonic()
        cached = self._ids.get(name)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = ex.get_experiment(self.store.db, name).id
        self._ids[name] = (found, now + _ID_CACHE_S)
        return found

    def mark_lost_runs(self) -> list[str]:
        """End FAILED ("heartbeat lost") every RUNNING run whose process stopped beating.

        Returns:
            The ids of the runs marked lost (reads and live runs also do this on their own).
        """
        return beats.mark_lost_runs(self.store.db)

    def get_metric_history(self, run_id: str, key: str, *, output: Output = "frame") -> Any:
        """Return every point of one metric, ordered by step (DataFrame or list of Metric)."""
        if output == "list":
            points: list[Metric] = reads.metric_points(self.store.db, run_id, key)
            return points
        return frames.history_frame(reads.metric_history(self.store.db, run_id, key))

    def compare_runs(self, run_ids: Sequence[str]) -> Any:
        """Return params and metrics of several runs side by side (a DataFrame)."""
        return frames.compare_frame([self.get_run(run_id) for run_id in run_ids])

    # ------------------------------------------------------------------ artifacts
    def list_artifacts(self, run_id: str, prefix: str = "") -> list[ArtifactInfo]:
        """Return a run's artifacts (optionally only those under ``prefix``)."""
        return reads.list_artifacts(self.store.db, run_id, prefix)

    def load_artifact(self, run_id: str, path: str) -> object:
        """Return an artifact's content: JSON as data, parquet as a DataFrame, text as str."""
        info = reads.artifact(self.store.db, run_id, path)
        return codec.decode(self.store.blobs.get_bytes(info.digest), info.media_type)

    def download_artifacts(
        self, run_id: str, path: str = "", dest: str | os.PathLike[str] = "."
    ) -> Path:
        """Copy an artifact (or every artifact under a folder path) to ``dest``; return it."""
        target_root = Path(dest)
        infos = [i for i in self.list_artifacts(run_id, path) if _under(i.path, path)]
        if not infos:
            raise ArtifactNotFound(f"run {run_id} has no artifact at or under {path!r}")
        root = target_root.resolve()
        for info in infos:
            relative = info.path[len(path.strip("/")) :].lstrip("/") or Path(info.path).name
            target = target_root / relative
            if not target.resolve().is_relative_to(root):  # a path stored by an older loopml
                raise InvalidInput(
                    f"artifact {info.path!r} of run {run_id} would be written outside {dest}; "
                    "refusing to download it"
                )
            self.store.blobs.get_file(info.digest, target)
        if len(infos) == 1 and infos[0].path == path.strip("/"):
            return target_root / Path(infos[0].path).name
        return target_root

    # ------------------------------------------------------------------ reproducibility
    def seed_everything(self, seed: int) -> int:
        """Seed Python, NumPy and (if imported) PyTorch and TensorFlow; record it on runs."""
        return seed_everything(seed)


def seed_everything(seed: int) -> int:
    """Seed ``random``, NumPy, PyTorch and TensorFlow (when loaded) and record the seed.

    The seed is stored on every open run and on runs started later in this process.
    ``PYTHONHASHSEED`` is set for child processes (it cannot change this interpreter's).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InvalidInput(f"seed must be an integer in [0, 2**32), got {seed!r}")
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import numpy

    numpy.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        tensorflow.random.set_seed(seed)
    runs.remember_seed(seed)
    return seed


@dataclass(frozen=True, slots=True)
class _NewRun:
    """What ``start_run`` inserts for a new run (params and tags validated)."""

    experiment: str | None
    name: str | None
    parent_id: str | None
    pipeline_run_id: str | None
    step_name: str | None
    params: dict[str, str]
    tags: dict[str, str]
    on_create: Callable[[Connection, str], None] | None


def _param_rows(run_id: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"run_id": run_id, "key": k, "value": val, "value_num": v.numeric_or_none(val)}
        for k, val in params.items()
    ]


_INSERT_RUN = (
    t.runs.insert()
    .values(
        experiment_id=select(t.experiments.c.id)
        .where(t.experiments.c.name == bindparam("experiment_name"))
        .scalar_subquery()
    )
    .returning(t.runs.c.experiment_id, t.runs.c.parent_id)
)
_PARENT = t.runs.alias("parent")
_INSERT_CHILD_RUN = _INSERT_RUN.values(
    parent_id=select(_PARENT.c.id).where(_PARENT.c.id == bindparam("parent_id")).scalar_subquery()
)


def _user() -> str:
    name = os.environ.get("LOOPML_USER")
    if name:
        return name[:256]
    if not _USERS:
        try:
            _USERS.append(getpass.getuser()[:256])
        except (KeyError, OSError):
            _USERS.append("unknown")
    return _USERS[0]


_USERS: list[str] = []


def _source() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path:
        return "<interactive>"
    found = _SOURCES.get(path)
    if found is None:
        found = _SOURCES[path] = str(Path(path).resolve())[:1024]
    return found


_SOURCES: dict[str, str] = {}


def _make_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint[:16]}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, query = int(body["offset"]), str(body["query"])
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidInput(f"page_token {token!r} is not a token this search returned") from err
    if query != fingerprint[:16] or offset < 0:
        raise InvalidInput(
            "page_token belongs to a different search; pass the same experiment, filter, "
            "order_by and limit as the search that returned it"
        )
    return offset


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.strip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")
