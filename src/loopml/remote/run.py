"""A run recorded on a loopml server: the same methods as a local :class:`~loopml.tracking.Run`.

Params and tags are sent at once (validated locally first, with the same limits); metric
points are buffered and sent in batches (:mod:`loopml.remote.buffer`); artifacts go
through the server, or straight to the artifact store when the client is configured
with one (then only their records go through the server).
"""

from __future__ import annotations

import atexit
import logging
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from loopml._utils.clock import now_ms, to_ms
from loopml.errors import InvalidInput, RunNotActive
from loopml.models import writer
from loopml.models.packages import MANIFEST, ModelPackage
from loopml.remote import wire
from loopml.remote.buffer import Point, RemoteMetricBuffer
from loopml.tracking import artifacts as codec, capture as cap, records, validation as v
from loopml.tracking.run import pop_active
from loopml.tracking.run_front import RunFront

if TYPE_CHECKING:
    import datetime as dt
    import os
    from collections.abc import Iterable, Mapping

    from loopml.remote.transport import HttpTransport
    from loopml.store import BlobStore
    from loopml.tracking.entities import ArtifactInfo, Experiment
    from loopml.tracking.run import Run

logger = logging.getLogger(__name__)

_OPEN: weakref.WeakSet[RemoteRun] = weakref.WeakSet()
_HOOK: list[bool] = []


class RemoteRun(RunFront):
    """A run being recorded on a server. Create it with ``lm.start_run``, not directly."""

    def __init__(
        self,
        transport: HttpTransport,
        run_id: str,
        experiment: Experiment,
        name: str,
        *,
        parent_id: str | None = None,
        params: Mapping[str, str] | None = None,
        next_steps: Mapping[str, int] | None = None,
        capture: bool = True,
        code_dir: Path | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.transport = transport
        self.id = run_id
        self.experiment = experiment
        self.name = name
        self.parent_id = parent_id
        self.status = "RUNNING"
        self.blobs = blobs
        self._params: dict[str, str] = dict(params or {})
        self._next_step: dict[str, int] = dict(next_steps or {})
        self._keys: set[str] = set()
        self._buffer = RemoteMetricBuffer(transport, run_id)
        self._ended = threading.Event()
        self._capture_thread: threading.Thread | None = None
        if capture:
            self._capture_thread = threading.Thread(
                target=self._capture, args=(code_dir,), name=f"loopml-capture-{run_id[:8]}",
                daemon=True,
            )  # fmt: skip
            self._capture_thread.start()
        _OPEN.add(self)
        if not _HOOK:
            _HOOK.append(True)
            atexit.register(_end_open_runs)

    def __repr__(self) -> str:
        return f"RemoteRun(id={self.id!r}, name={self.name!r}, status={self.status!r})"

    # ------------------------------------------------------------------ params and tags
    def log_params(self, params: Mapping[str, object]) -> None:
        """Log several parameters at once (all validated before anything is sent)."""
        self._check_active()
        new = self._new_params(params)
        if new:
            self._post_batch(params=new)
            self._params.update(new)

    def set_tags(self, tags: Mapping[str, object]) -> None:
        """Set several tags at once."""
        self._check_active()
        checked = {v.check_key("tag", k): v.tag_value(k, val) for k, val in tags.items()}
        if checked:
            self._post_batch(tags=checked)

    # ------------------------------------------------------------------ metrics
    def log_metric(
        self,
        key: str,
        value: float,
        step: int | None = None,
        timestamp: int | float | dt.datetime | None = None,
    ) -> None:
        """Log one metric point (buffered and sent in batches; see :meth:`flush`)."""
        self._check_active()
        self._buffer.extend(self._points([(key, value, step, timestamp)]))

    def log_metrics(
        self,
        metrics: Mapping[str, float],
        step: int | None = None,
        timestamp: int | float | dt.datetime | None = None,
    ) -> None:
        """Log several metrics at the same step and time (all validated first)."""
        self._check_active()
        self._buffer.extend(self._points((k, val, step, timestamp) for k, val in metrics.items()))

    def log_batch(
        self,
        metrics: Iterable[tuple[str, float, int | None, int | float | dt.datetime | None]]
        | Iterable[tuple[str, float, int | None]]
        | Iterable[tuple[str, float]] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
    ) -> None:
        """Send metric points, params and tags in one request (one transaction), right away."""
        self._check_active()
        rows: list[Any] = [(*m, None, None)[:4] for m in metrics]
        points = self._points(rows)
        new = self._new_params(params or {})
        checked = {v.check_key("tag", k): v.tag_value(k, val) for k, val in (tags or {}).items()}
        self._post_batch(points, new, checked)
        self._params.update(new)

    def flush(self) -> None:
        """Send every buffered metric point now."""
        self._buffer.flush()

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
                step = v.metric_step(key, step)
            next_step[key] = max(next_step.get(key, 0), step + 1)
            points.append((key, number, step, now if timestamp is None else to_ms(timestamp)))
        self._next_step = next_step
        self._keys.update(p[0] for p in points)
        return points

    def _post_batch(
        self,
        points: list[Point] | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        body = wire.batch_body(points or [], params or {}, tags or {})
        self.transport.call("POST", f"/api/v1/runs/{self.id}/log-batch", json=body)

    # ------------------------------------------------------------------ artifacts
    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> ArtifactInfo:
        """Store a file (or every file of a folder) as an artifact of this run."""
        self._check_active()
        source = Path(path)
        if source.is_dir():
            infos = self.log_artifacts(source, name or source.name)
            if not infos:
                raise InvalidInput(f"folder {source} holds no files to log")
            return infos[-1]
        if not source.is_file():
            raise InvalidInput(f"{source} does not exist; pass the path of a file or folder")
        target = records.artifact_path(name or source.name)
        return self._store([(target, source)])[0]

    def log_artifacts(
        self, folder: str | os.PathLike[str], prefix: str | None = None
    ) -> list[ArtifactInfo]:
        """Store every file under ``folder``, keeping its relative path under ``prefix``."""
        self._check_active()
        root = Path(folder)
        if not root.is_dir():
            raise InvalidInput(f"{root} is not a folder; use run.log_artifact for a single file")
        entries = []
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = file.relative_to(root).as_posix()
            entries.append(
                (records.artifact_path(f"{prefix}/{relative}" if prefix else relative), file)
            )
        return self._store(entries)

    def log_object(self, obj: object, name: str) -> ArtifactInfo:
        """Store an in-memory object (dict/list -> JSON, DataFrame -> parquet, figure -> PNG,
        str -> text, bytes -> bytes)."""
        self._check_active()
        data, media_type, _ = codec.encode(obj)
        target = records.artifact_path(name)
        with tempfile.TemporaryDirectory(prefix="loopml-object-") as tmp:
            file = Path(tmp) / "object"
            file.write_bytes(data)
            return self._store([(target, file)], media_type)[0]

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

    def log_model(self, model: object, name: str = "model", **options: Any) -> ModelPackage:
        """Package ``model`` (see docs/models.md) and store it as artifacts of this run."""
        self._check_active()
        with tempfile.TemporaryDirectory(prefix="loopml-model-") as tmp:
            folder = Path(tmp)
            manifest, flavor, signature = writer.build_package(model, folder, **options)
            infos = self.log_artifacts(folder, name)
        path = f"{name.strip('/')}/{MANIFEST}"
        digest = next(i.digest for i in infos if i.path == path)
        return ModelPackage(digest, flavor.name, signature, self.id, name.strip("/"), manifest)

    def _store(
        self, entries: list[tuple[str, Path]], media_type: str | None = None
    ) -> list[ArtifactInfo]:
        if self.blobs is not None:
            records_body = []
            for target, file in entries:
                ref = self.blobs.put_file(file, media_type or codec.guess_media_type(target))
                records_body.append(
                    {"path": target, "digest": ref.digest, "size": ref.size,
                     "media_type": ref.media_type}
                )  # fmt: skip
            answer = self.transport.call(
                "POST", f"/api/v1/runs/{self.id}/artifacts", json=records_body
            )
            return [wire.artifact(a) for a in answer]
        infos = []
        for target, file in entries:
            kind = media_type or codec.guess_media_type(target)
            url = f"/api/v1/runs/{self.id}/artifacts/{quote(target)}"
            infos.append(wire.artifact(self.transport.upload(url, file, kind)))
        return infos

    # ------------------------------------------------------------------ lifecycle
    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        """Send buffered metrics, wait for capture, and record the final status."""
        if status not in {"FINISHED", "FAILED", "KILLED"}:
            raise InvalidInput(f"a run ends FINISHED, FAILED or KILLED, not {status!r}")
        if self._ended.is_set():
            return
        self._buffer.close()
        if self._capture_thread is not None:
            self._capture_thread.join(cap.CAPTURE_TIMEOUT_S)
        body = {"status": status, "error": error}
        self.transport.call("POST", f"/api/v1/runs/{self.id}/end", json=body)
        self.status = status
        self._ended.set()
        _OPEN.discard(self)
        pop_active(cast("Run", self))

    def _check_active(self) -> None:
        if self._ended.is_set():
            raise RunNotActive(
                f"run {self.id} ({self.name}) has ended with status {self.status}; resume it with "
                f"lm.start_run(run_id={self.id!r}) to log more"
            )

    def _capture(self, code_dir: Path | None) -> None:
        try:
            captured = cap.capture(code_dir)
            self.transport.call(
                "POST", f"/api/v1/runs/{self.id}/capture", json=wire.capture_body(captured)
            )
        except Exception:  # capture must never break a run
            logger.warning("run %s: environment capture failed", self.id, exc_info=True)


def _end_open_runs() -> None:
    # A run started without ``with`` and never ended: end it at exit, as local runs are.
    failed = getattr(sys, "last_value", None) is not None
    for run in list(_OPEN):
        try:
            run.end("FAILED" if failed else "FINISHED")
        except Exception:
            logger.warning("could not end run %s at exit", run.id, exc_info=True)
