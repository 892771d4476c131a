"""An active run: the handle that logs params, metrics, tags and artifacts.

A run is a context manager. Leaving the ``with`` block ends it FINISHED; an exception
ends it FAILED with the traceback recorded; ``KeyboardInterrupt`` ends it KILLED. A run
started without ``with`` is ended by :meth:`Run.end`, or at interpreter exit (FAILED if
the program died of an uncaught exception, KILLED on ``KeyboardInterrupt``).
"""

from __future__ import annotations

import atexit
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from time import time_ns
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from loopml._utils.clock import now_ms, to_ms
from loopml.errors import Conflict, InvalidInput, RunNotActive
from loopml.store.hooks import STATES, LifecycleEvent, notify
from loopml.store.tables import tracking as t
from loopml.tracking import (
    artifacts as codec,
    capture as cap,
    heartbeat as beats,
    provenance as prov,
    validation as v,
)
from loopml.tracking.buffer import FLUSH_SIZE, MetricBuffer, Point, write_points
from loopml.tracking.entities import ArtifactInfo
from loopml.tracking.run_front import RunFront

if TYPE_CHECKING:
    import datetime as dt
    import os
    from collections.abc import Iterable, Mapping, Sequence
    from types import TracebackType

    from sqlalchemy import Connection

    from loopml.models.packages import ModelPackage
    from loopml.store import BlobRef, Store
    from loopml.tracking.entities import Experiment
    from loopml.tracking.heartbeat import HeartbeatSettings

logger = logging.getLogger(__name__)

_ACTIVE: ContextVar[tuple[Run, ...]] = ContextVar("loopml_active_runs", default=())
_OPEN: set[Run] = set()
_OPEN_LOCK = threading.Lock()
_HOOKS: dict[str, Any] = {"installed": False, "uncaught": None}
_SEED: list[int] = []


#: ``log_model(run, model, name, **options)``: writes a model package as artifacts of a run.
#: ``loopml.models`` provides it; tracking sits below models, so the client hands it to
#: :class:`~loopml.tracking.Tracking`, which hands it to each run it starts.
ModelLogger = Callable[..., Any]


class Run(RunFront):
    """A run being recorded. Create it with ``lm.start_run``, not directly.

    Example:
        >>> import loopml as lm
        >>> with lm.start_run("demo") as run:  # doctest: +SKIP
        ...     run.log_params({"lr": 0.1})
        ...     run.log_metric("loss", 0.3)
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        experiment: Experiment,
        name: str,
        *,
        parent_id: str | None = None,
        params: Mapping[str, str] | None = None,
        next_steps: Mapping[str, int] | None = None,
        capture: bool = True,
        code_dir: Path | None = None,
        model_logger: ModelLogger | None = None,
        heartbeat: HeartbeatSettings | None = None,
    ) -> None:
        self.store = store
        self._model_logger = model_logger
        self.id = run_id
        self.experiment = experiment
        self.name = name
        self.parent_id = parent_id
        self.status = "RUNNING"
        self._params: dict[str, str] = dict(params or {})
        self._next_step: dict[str, int] = dict(next_steps or {})
        self._keys: set[str] = set()
        self._buffer = MetricBuffer(store.db, run_id)
        self._queue = self._buffer.queue
        self._ended = threading.Event()
        self._captured: prov.Provenance | None = None
        self._capture_thread: threading.Thread | None = None
        if capture:
            # Capture not already recorded by start_run (not cached): compute it in the
            # background; end() waits for it and records it in its own transaction.
            self._capture_thread = threading.Thread(
                target=self._capture,
                args=(code_dir,),
                name=f"loopml-capture-{run_id[:8]}",
                daemon=True,
            )
            self._capture_thread.start()
        if heartbeat is not None:
            beats.beat_for(store.db, run_id, heartbeat)
        _track_open(self)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, name={self.name!r}, status={self.status!r})"

    # ------------------------------------------------------------------ params and tags
    def log_params(self, params: Mapping[str, object]) -> None:
        """Log several parameters at once (all validated before anything is written).

        Raises:
            ParamConflict: a key was already logged with a different value.
            InvalidInput: a key or value breaks the limits in docs/tracking.md.
        """
        self._check_active()
        new = self._new_params(params)
        if not new:
            return
        with self.store.db.write() as conn:
            self._write_params(conn, new)
        self._params.update(new)

    def _write_params(self, conn: Connection, new: Mapping[str, str]) -> None:
        rows = [
            {"run_id": self.id, "key": k, "value": val, "value_num": v.numeric_or_none(val)}
            for k, val in new.items()
        ]
        conn.execute(self.store.db.upsert(t.params, ["run_id", "key"], []), rows)
        self._check_stored_params(conn, new)

    def _check_stored_params(self, conn: Connection, new: Mapping[str, str]) -> None:
        stored = conn.execute(
            select(t.params.c.key, t.params.c.value).where(
                t.params.c.run_id == self.id, t.params.c.key.in_(list(new))
            )
        ).all()
        for key, value in stored:
            if value != new[key]:
                raise v.param_conflict(self.id, key, value, new[key])

    def set_tags(self, tags: Mapping[str, object]) -> None:
        """Set several tags in one transaction."""
        self._check_active()
        rows = self._tag_rows(tags)
        if rows:
            with self.store.db.write() as conn:
                conn.execute(self.store.db.upsert(t.tags, ["run_id", "key"], ["value"]), rows)

    def _tag_rows(self, tags: Mapping[str, object]) -> list[dict[str, str]]:
        return [
            {"run_id": self.id, "key": v.check_key("tag", k), "value": v.tag_value(k, val)}
            for k, val in tags.items()
        ]

    # ------------------------------------------------------------------ metrics
    def log_metric(
        self,
        key: str,
        value: float,
        step: int | None = None,
        timestamp: int | float | dt.datetime | None = None,
    ) -> None:
        """Log one metric point (buffered; see :meth:`flush`).

        Args:
            key: metric name.
            value: a real number; NaN and infinities are kept.
            step: position in the series; defaults to one past the last step of ``key``.
            timestamp: epoch milliseconds or a datetime; defaults to now.
        """
        # The hot path: a few dict lookups and one append, no method call. A run that has
        # ended has no admitted keys, so the first branch also refuses points after the end.
        if key not in self._keys:
            self._admit(key)
        if type(value) is not float:
            value = v.metric_value(key, value)
        next_step = self._next_step
        if step is None:
            step = next_step.get(key, 0)
            next_step[key] = step + 1
        else:
            if type(step) is not int:
                step = _step(key, step)
            if step >= next_step.get(key, 0):
                next_step[key] = step + 1
        queue = self._queue
        queue.append(
            (key, value, step, time_ns() // 1_000_000 if timestamp is None else to_ms(timestamp))
        )
        if len(queue) % FLUSH_SIZE == 0:
            self._buffer.pressure(len(queue))

    def _admit(self, key: str) -> None:
        self._check_active()
        v.check_key("metric", key)
        self._keys.add(key)

    def log_metrics(
        self,
        metrics: Mapping[str, float],
        step: int | None = None,
        timestamp: int | float | dt.datetime | None = None,
    ) -> None:
        """Log several metrics at the same step and time (all validated first)."""
        self._check_active()
        points = self._points((key, value, step, timestamp) for key, value in metrics.items())
        self._buffer.extend(points)

    def log_batch(
        self,
        metrics: Iterable[tuple[str, float, int | None, int | float | dt.datetime | None]]
        | Iterable[tuple[str, float, int | None]]
        | Iterable[tuple[str, float]] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
    ) -> None:
        """Write many metric points (and params and tags) in one transaction, right away.

        Args:
            metrics: ``(key, value[, step[, timestamp]])`` tuples.
            params: parameters (same rules as :meth:`log_params`).
            tags: tags.
        """
        self._check_active()
        rows: list[Any] = [(*m, None, None)[:4] for m in metrics]
        points = self._points(rows)
        new_params = self._new_params(params or {})
        tag_rows = self._tag_rows(tags or {})
        db = self.store.db
        with db.write() as conn:
            if new_params:
                self._write_params(conn, new_params)
            if tag_rows:
                conn.execute(db.upsert(t.tags, ["run_id", "key"], ["value"]), tag_rows)
            if points:
                write_points(conn, db, self.id, points)
        self._params.update(new_params)

    def _points(self, items: Iterable[tuple[Any, Any, Any, Any]]) -> list[Point]:
        now = now_ms()
        points: list[Point] = []
        next_step = dict(self._next_step)
        for key, value, step, timestamp in items:
            if key not in self._keys:
                v.check_key("metric", key)
            number = value if type(value) is float else v.metric_value(key, value)
            if step is None:
                step = next_step.get(key, 0)
            elif type(step) is not int:
                step = _step(key, step)
            if step >= next_step.get(key, 0):
                next_step[key] = step + 1
            stamp = now if timestamp is None else to_ms(timestamp)
            points.append((key, number, step, stamp))
        self._next_step = next_step
        self._keys.update(p[0] for p in points)
        return points

    def flush(self) -> None:
        """Write every buffered metric point now."""
        self._buffer.flush()

    # ------------------------------------------------------------------ artifacts
    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> ArtifactInfo:
        """Store a file (or, for a folder, every file in it) as an artifact of this run.

        Args:
            path: the file or folder.
            name: path of the artifact inside the run (default: the file's name).

        Returns:
            The artifact record (for a folder: the last file's record).
        """
        self._check_active()
        source = Path(path)
        if source.is_dir():
            infos = self.log_artifacts(source, name or source.name)
            if not infos:
                raise InvalidInput(f"folder {source} holds no files to log")
            return infos[-1]
        if not source.is_file():
            raise InvalidInput(f"{source} does not exist; pass the path of a file or folder")
        target = _artifact_path(name or source.name)
        ref = self.store.blobs.put_file(source, codec.guess_media_type(target))
        return self._record_artifacts([(target, ref)])[0]

    def log_artifacts(
        self, folder: str | os.PathLike[str], prefix: str | None = None
    ) -> list[ArtifactInfo]:
        """Store every file under ``folder``, keeping its relative path under ``prefix``."""
        self._check_active()
        root = Path(folder)
        if not root.is_dir():
            raise InvalidInput(f"{root} is not a folder; use run.log_artifact for a single file")
        if prefix:
            prefix = _artifact_path(prefix.rstrip("/") or prefix)
        entries = []
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = file.relative_to(root).as_posix()
            target = _artifact_path(f"{prefix}/{relative}" if prefix else relative)
            entries.append(
                (target, self.store.blobs.put_file(file, codec.guess_media_type(target)))
            )
        return self._record_artifacts(entries)

    def log_object(self, obj: object, name: str) -> ArtifactInfo:
        """Store an in-memory object: dict/list -> JSON, DataFrame -> parquet, figure -> PNG,
        str -> text, bytes -> bytes."""
        self._check_active()
        data, media_type, _ = codec.encode(obj)
        ref = self.store.blobs.put_bytes(data, media_type)
        return self._record_artifacts([(_artifact_path(name), ref)])[0]

    def log_dict(self, obj: Mapping[str, Any] | list[Any], name: str) -> ArtifactInfo:
        """Store JSON-ready data as a JSON artifact."""
        return self.log_object(obj, name)

    def log_text(self, text: str, name: str) -> ArtifactInfo:
        """Store text as an artifact."""
        return self.log_object(text, name)

    def log_table(self, frame: Any, name: str) -> ArtifactInfo:
        """Store a pandas DataFrame as a parquet artifact."""
        return self.log_object(frame, name)

    def log_figure(self, figure: Any, name: str) -> ArtifactInfo:
        """Store a matplotlib figure as a PNG artifact."""
        return self.log_object(figure, name)

    def _record_artifacts(self, entries: list[tuple[str, BlobRef]]) -> list[ArtifactInfo]:
        store = self.store
        now = now_ms()
        rows = [
            {
                "run_id": self.id,
                "path": path,
                "digest": ref.digest,
                "size": ref.size,
                "media_type": ref.media_type,
                "created_at": now,
            }
            for path, ref in entries
        ]
        with store.db.write() as conn:
            self._refuse_overwrite(conn, entries)
            for _, ref in entries:
                store.record_blob(conn, ref)
            conn.execute(store.db.upsert(t.run_artifacts, ["run_id", "path"], []), rows)
        return [_artifact_info(row) for row in rows]

    def _refuse_overwrite(self, conn: Connection, entries: list[tuple[str, BlobRef]]) -> None:
        wanted = {path: ref.digest for path, ref in entries}
        existing = conn.execute(
            select(t.run_artifacts.c.path, t.run_artifacts.c.digest).where(
                t.run_artifacts.c.run_id == self.id, t.run_artifacts.c.path.in_(list(wanted))
            )
        ).all()
        for path, digest in existing:
            if digest != wanted[path]:
                raise Conflict(
                    f"run {self.id} already has a different artifact at {path!r}; artifacts are "
                    "immutable, so log the new content under another name"
                )

    # ------------------------------------------------------------------ extensions
    def log_model(
        self,
        model: object,
        name: str = "model",
        *,
        example: Any = None,
        signature: object = None,
        flavor: str | None = None,
        artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
        code_paths: Sequence[str | os.PathLike[str]] | None = None,
        model_config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ModelPackage:
        """Package ``model`` as artifacts of this run under ``name`` (see docs/models.md).

        Args:
            model: a fitted scikit-learn, XGBoost or LightGBM model, or an ``lm.PythonModel``.
            name: artifact path of the package inside the run.
            example: a few input rows; the signature is inferred from them and the package
                is checked to load and predict on them.
            signature: an ``lm.Signature`` (or its dict form) instead of inferring one.
            flavor: force a flavor (``sklearn``, ``xgboost``, ``lightgbm``, ``python``).
            artifacts: files a ``PythonModel`` needs, by name (copied into the package).
            code_paths: source files or folders to ship with the package.
            model_config: JSON-ready settings handed to a ``PythonModel``.
            metadata: JSON-ready facts stored in the manifest.

        Returns:
            The ``ModelPackage``; its ``uri`` (``runs:/<run id>/<name>``) is what
            ``lm.register_model`` and ``lm.load_model`` accept.
        """
        self._check_active()
        if self._model_logger is None:
            raise InvalidInput(
                "this run cannot log models: it was not started through a loopml Client; "
                "start it with lm.start_run(...) or client.runs.start_run(...)"
            )
        package: ModelPackage = self._model_logger(
            self,
            model,
            name,
            example=example,
            signature=signature,
            flavor=flavor,
            artifacts=artifacts,
            code_paths=code_paths,
            model_config=model_config,
            metadata=metadata,
        )
        return package

    # ------------------------------------------------------------------ lifecycle
    def end(
        self,
        status: str = "FINISHED",
        error: str | None = None,
        *,
        tags: Mapping[str, object] | None = None,
    ) -> None:
        """Flush buffered metrics, wait for capture, and record the final status.

        Args:
            status: ``FINISHED``, ``FAILED`` or ``KILLED``.
            error: the error text for a failed run.
            tags: tags to set in the same transaction as the final status.
        """
        if status not in {"FINISHED", "FAILED", "KILLED"}:
            raise InvalidInput(f"a run ends FINISHED, FAILED or KILLED, not {status!r}")
        if self._ended.is_set():
            return
        tag_rows = self._tag_rows(tags or {})
        captured = self._wait_for_capture()
        beats.stop(self.id)
        db = self.store.db
        # Buffered points, the capture, tags and the final status in one transaction.
        with self._buffer.pending() as points, db.write() as conn:
            if points:
                write_points(conn, db, self.id, points)
            if tag_rows:
                conn.execute(db.upsert(t.tags, ["run_id", "key"], ["value"]), tag_rows)
            if captured is not None:
                prov.write(conn, self.store, self.id, captured, now_ms(), columns=True)
            conn.execute(
                _END_RUN, {"run": self.id, "status": status, "end": now_ms(), "error": error}
            )
        self._buffer.close()
        self.status = status
        self._ended.set()
        self._keys = set()
        _forget(self)
        if self.store.hooks:
            event = LifecycleEvent("run", self.id, STATES[status], now_ms(), self.experiment.name)
            notify(self.store, event)

    def _wait_for_capture(self) -> prov.Provenance | None:
        thread = self._capture_thread
        if thread is None:
            return None
        thread.join(cap.CAPTURE_TIMEOUT_S)
        if thread.is_alive():
            logger.warning("run %s: environment capture timed out", self.id)
            self.set_tags({"loopml.capture": "timed out"})
            return None
        self._capture_thread = None
        return self._captured

    def _check_active(self) -> None:
        if self._ended.is_set():
            raise RunNotActive(
                f"run {self.id} ({self.name}) has ended with status {self.status}; resume it with "
                f"lm.start_run(run_id={self.id!r}) to log more"
            )

    def _capture(self, code_dir: Path | None) -> None:
        try:
            self._captured = prov.provenance(self.store, cap.capture(code_dir))
        except Exception:  # capture must never break a run
            logger.warning("run %s: environment capture failed", self.id, exc_info=True)


_END_RUN = (
    update(t.runs)
    .where(t.runs.c.id == bindparam("run"))
    .values(status=bindparam("status"), end_time=bindparam("end"), error=bindparam("error"))
)


# ---------------------------------------------------------------------- active runs
def active_run() -> Run | None:
    """Return the innermost active run of this thread/task, or ``None``."""
    stack = _ACTIVE.get()
    return stack[-1] if stack else None


def push_active(run: Run) -> None:
    """Make ``run`` the active run of this thread/task."""
    _ACTIVE.set((*_ACTIVE.get(), run))


def pop_active(run: Run) -> None:
    """Remove ``run`` from the active runs of this thread/task (a remote run that ended)."""
    stack = _ACTIVE.get()
    if run in stack:
        _ACTIVE.set(tuple(r for r in stack if r is not run))


def current_seed() -> int | None:
    """Return the seed set with ``seed_everything`` in this process, if any."""
    return _SEED[-1] if _SEED else None


def remember_seed(seed: int) -> None:
    """Record the process seed and store it on every open run."""
    _SEED.append(seed)
    with _OPEN_LOCK:
        runs = list(_OPEN)
    for run in runs:
        with run.store.db.write() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run.id).values(seed=seed))


def _forget(run: Run) -> None:
    stack = _ACTIVE.get()
    if run in stack:
        _ACTIVE.set(tuple(r for r in stack if r is not run))
    with _OPEN_LOCK:
        _OPEN.discard(run)


def _track_open(run: Run) -> None:
    with _OPEN_LOCK:
        _OPEN.add(run)
        if not _HOOKS["installed"]:
            _HOOKS["installed"] = True
            atexit.register(_end_open_runs)
            previous = sys.excepthook

            def hook(
                kind: type[BaseException], value: BaseException, tb: TracebackType | None
            ) -> None:
                _HOOKS["uncaught"] = (kind, value, tb)
                previous(kind, value, tb)

            sys.excepthook = hook


def _end_open_runs() -> None:
    with _OPEN_LOCK:
        runs = list(_OPEN)
    uncaught: Any = _HOOKS["uncaught"]
    for run in runs:
        try:
            if uncaught is None:
                run.end("FINISHED")
            elif issubclass(uncaught[0], KeyboardInterrupt):
                run.end("KILLED", error="KeyboardInterrupt")
            else:
                run.end("FAILED", error="".join(traceback.format_exception(*uncaught)))
        except Exception:
            logger.warning("could not end run %s at exit", run.id, exc_info=True)


def _step(key: str, step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        try:
            as_int: int = int(step)  # type: ignore[call-overload]
        except (TypeError, ValueError) as err:
            raise InvalidInput(f"step of metric {key!r} must be an integer, got {step!r}") from err
        if as_int != step:
            raise InvalidInput(f"step of metric {key!r} must be an integer, got {step!r}")
        return as_int
    return step


def _artifact_path(name: object) -> str:
    """Return ``name`` as a clean relative artifact path, or raise :class:`InvalidInput`.

    Refused: anything but a string, empty names, absolute paths (``/x``, ``C:/x``,
    ``//host/x``), ``.``, ``..`` or empty segments, NUL or control characters, and paths
    over 1024 characters. ``\\`` counts as a separator, so ``..\\x`` is refused too.
    """
    if not isinstance(name, str):
        raise InvalidInput(f"artifact name must be a string, got {type(name).__name__}")
    path = name.replace("\\", "/")
    problem = None
    if not path:
        problem = "is empty"
    elif path.startswith("/") or _DRIVE.match(path):
        problem = "is absolute"
    elif any(segment in {"", ".", ".."} for segment in path.split("/")):
        problem = "has an empty, '.' or '..' segment"
    elif _CONTROL.search(path):
        problem = "holds a control character"
    elif len(path) > 1024:
        problem = f"has {len(path)} characters"
    if problem is not None:
        raise InvalidInput(
            f"artifact name {name[:200]!r} {problem}; use a relative path of at most 1024 "
            "characters such as 'plots/roc.png' (no '.', '..', empty or absolute parts)"
        )
    return path


_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _artifact_info(row: Mapping[str, Any]) -> ArtifactInfo:
    return ArtifactInfo(
        row["path"], row["digest"], row["size"], row["media_type"], row["created_at"]
    )
