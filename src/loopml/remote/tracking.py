"""Tracking on a loopml server: the methods of :class:`~loopml.tracking.Tracking`, over REST."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from loopml.errors import ArtifactNotFound, InvalidInput
from loopml.remote import wire
from loopml.remote.run import RemoteRun
from loopml.tracking import artifacts as codec, frames
from loopml.tracking.api import RunPage, seed_everything as _seed_everything
from loopml.tracking.run import active_run, current_seed, push_active

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.remote.transport import HttpTransport
    from loopml.store import BlobStore
    from loopml.tracking.entities import ArtifactInfo, Experiment, Metric, RunInfo
    from loopml.tracking.run import Run

Output = str


class RemoteTracking:
    """Experiments and runs of a loopml server.

    Args:
        transport: the connection to the server.
        default_experiment: experiment for runs that name none.
        blobs: write artifacts straight to this artifact store (default: through the server).
    """

    def __init__(
        self,
        transport: HttpTransport,
        default_experiment: str = "default",
        blobs: BlobStore | None = None,
    ) -> None:
        self.transport = transport
        self.default_experiment = default_experiment
        self.blobs = blobs

    def __repr__(self) -> str:
        return f"RemoteTracking({self.transport.base_url!r})"

    # ------------------------------------------------------------------ experiments
    def set_experiment(self, name: str) -> Experiment:
        """Make ``name`` the experiment of later runs (created if missing)."""
        try:
            found = self.get_experiment(name)
        except Exception as err:
            if getattr(err, "http_status", None) != 404:
                raise
            found = self.create_experiment(name)
        self.default_experiment = name
        return found

    def create_experiment(self, name: str, description: str | None = None) -> Experiment:
        """Create an experiment; an existing name is an error."""
        body = {"name": name, "description": description}
        return wire.experiment(self.transport.call("POST", "/api/v1/experiments", json=body))

    def get_experiment(self, name_or_id: str | int) -> Experiment:
        """Return an experiment by name or id."""
        return wire.experiment(self.transport.call("GET", _experiment_path(name_or_id)))

    def list_experiments(self, *, include_deleted: bool = False) -> list[Experiment]:
        """Return all experiments, by name."""
        params = {"include_deleted": include_deleted}
        found = self.transport.call("GET", "/api/v1/experiments", params=params)
        return [wire.experiment(e) for e in found]

    def rename_experiment(self, name_or_id: str | int, new_name: str) -> Experiment:
        """Rename an experiment."""
        body = {"name": new_name}
        return wire.experiment(
            self.transport.call("PATCH", _experiment_path(name_or_id), json=body)
        )

    def delete_experiment(self, name_or_id: str | int) -> Experiment:
        """Mark an experiment deleted."""
        return wire.experiment(self.transport.call("DELETE", _experiment_path(name_or_id)))

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        experiment: str | None = None,
        name: str | None = None,
        *,
        run_id: str | None = None,
        params: Any = None,
        tags: Any = None,
        nested: bool = True,
        parent_id: str | None = None,
        pipeline_run_id: str | None = None,
        step_name: str | None = None,
        capture: bool = True,
        code_dir: str | os.PathLike[str] | None = None,
    ) -> Run:
        """Start a run on the server (or resume one by ``run_id``); it becomes the active run.

        Takes the same arguments as :meth:`loopml.tracking.Tracking.start_run`.
        """
        if run_id is not None:
            run = self._resume(run_id)
        else:
            parent = parent_id
            if parent is None and nested:
                active: object = active_run()
                if isinstance(active, RemoteRun) and active.transport is self.transport:
                    parent = active.id
            body = {
                "experiment": experiment or (None if parent else self.default_experiment),
                "name": name,
                "user": _user(),
                "parent_id": parent,
                "pipeline_run_id": pipeline_run_id,
                "step_name": step_name,
                "source": _source(),
                "seed": current_seed(),
            }
            info = wire.run_info(self.transport.call("POST", "/api/v1/runs", json=body))
            folder = Path(code_dir) if code_dir is not None else None
            run = RemoteRun(
                self.transport, info.id, self._experiment_of(info), info.name,
                parent_id=info.parent_id, capture=capture, code_dir=folder, blobs=self.blobs,
            )  # fmt: skip
        as_run = cast("Run", run)
        push_active(as_run)
        if params:
            run.log_params(params)
        if tags:
            run.set_tags(tags)
        return as_run

    def _resume(self, run_id: str) -> RemoteRun:
        answer = self.transport.call("POST", f"/api/v1/runs/{run_id}/resume")
        info = wire.run_info(answer["run"])
        return RemoteRun(
            self.transport, info.id, self._experiment_of(info), info.name,
            parent_id=info.parent_id, params=answer["params"], next_steps=answer["next_steps"],
            capture=False, blobs=self.blobs,
        )  # fmt: skip

    def _experiment_of(self, info: RunInfo) -> Experiment:
        return self.get_experiment(info.experiment_id)

    def active_run(self) -> Run | None:
        """Return the innermost active run of this thread, if any."""
        return active_run()

    def get_run(self, run_id: str) -> RunInfo:
        """Return a run with its params, latest metrics and tags."""
        return wire.run_info(self.transport.call("GET", f"/api/v1/runs/{run_id}"))

    def resolve_run_id(self, prefix: str, *, include_deleted: bool = True) -> str:
        """Return the full run id for a unique prefix (at least 4 characters)."""
        if len(prefix) == 32:
            return prefix
        if len(prefix) < 4:
            raise InvalidInput(f"run id prefix {prefix!r} is too short; give at least 4 characters")
        page = self.search_runs(
            None, f"attributes.id LIKE '{prefix}%'", limit=2, output="list",
            include_deleted=include_deleted,
        )  # fmt: skip
        if len(page) != 1:
            found = "several runs" if page else "no run"
            raise InvalidInput(f"run id prefix {prefix!r} matches {found}; give the full id")
        return str(page[0].id)

    def count_runs(self, experiment: str | int | None = None) -> int:
        """Return how many (non-deleted) runs exist, in one experiment or in all."""
        if experiment is None:
            return sum(self.count_runs(e.id) for e in self.list_experiments())
        answer = self.transport.call("GET", _experiment_path(experiment) + "/count")
        return int(answer["count"])

    def delete_run(self, run_id: str, *, purge: bool = False) -> None:
        """Hide a run from searches; ``purge=True`` deletes it and its data for good."""
        self.transport.call("DELETE", f"/api/v1/runs/{run_id}", params={"purge": purge})

    def restore_run(self, run_id: str) -> None:
        """Bring back a deleted (not purged) run."""
        self.transport.call("POST", f"/api/v1/runs/{run_id}/restore")

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
        """Search runs with the filter language (see docs/search.md); same as the local API."""
        if output not in ("frame", "list"):
            raise InvalidInput(f"output must be 'frame' or 'list', not {output!r}")
        experiments = (
            None if experiment is None
            else [experiment] if isinstance(experiment, str | int) else list(experiment)
        )  # fmt: skip
        order = [order_by] if isinstance(order_by, str) else order_by
        body = {
            "experiments": experiments, "filter": filter,
            "order_by": None if order is None else list(order), "limit": limit,
            "page_token": page_token, "include_deleted": include_deleted,
        }  # fmt: skip
        answer = self.transport.call("POST", "/api/v1/runs/search", json=body)
        found = [wire.run_info(r) for r in answer["runs"]]
        token = answer.get("next_page_token")
        if output == "list":
            page = RunPage(found)
            page.next_page_token = token
            return page
        frame = frames.runs_frame(found)
        frame.attrs["next_page_token"] = token
        return frame

    def get_metric_history(self, run_id: str, key: str, *, output: Output = "frame") -> Any:
        """Return every point of one metric, ordered by step (DataFrame or list of Metric)."""
        answer = self.transport.call("GET", f"/api/v1/runs/{run_id}/metrics/{quote(key)}")
        points: list[Metric] = [wire.metric(p) for p in answer]
        if output == "list":
            return points
        columns = (
            [p.step for p in points],
            [p.timestamp for p in points],
            [p.value for p in points],
        )
        return frames.history_frame(columns)

    def compare_runs(self, run_ids: Sequence[str]) -> Any:
        """Return params and metrics of several runs side by side (a DataFrame)."""
        return frames.compare_frame([self.get_run(run_id) for run_id in run_ids])

    # ------------------------------------------------------------------ artifacts
    def list_artifacts(self, run_id: str, prefix: str = "") -> list[ArtifactInfo]:
        """Return a run's artifacts (optionally only those under ``prefix``)."""
        answer = self.transport.call(
            "GET", f"/api/v1/runs/{run_id}/artifacts", params={"prefix": prefix}
        )
        return [wire.artifact(a) for a in answer]

    def load_artifact(self, run_id: str, path: str) -> object:
        """Return an artifact's content: JSON as data, parquet as a DataFrame, text as str."""
        infos = [i for i in self.list_artifacts(run_id, path) if i.path == path.strip("/")]
        if not infos:
            raise ArtifactNotFound(f"run {run_id} has no artifact {path!r}")
        data = self._read(run_id, infos[0])
        return codec.decode(data, infos[0].media_type)

    def download_artifacts(
        self, run_id: str, path: str = "", dest: str | os.PathLike[str] = "."
    ) -> Path:
        """Copy an artifact (or every artifact under a folder path) to ``dest``; return it."""
        root = Path(dest)
        prefix = path.strip("/")
        infos = [
            i for i in self.list_artifacts(run_id, prefix)
            if not prefix or i.path == prefix or i.path.startswith(prefix + "/")
        ]  # fmt: skip
        if not infos:
            raise ArtifactNotFound(f"run {run_id} has no artifact at or under {path!r}")
        for info in infos:
            relative = info.path[len(prefix) :].lstrip("/") or Path(info.path).name
            url = f"/api/v1/runs/{run_id}/artifacts/{quote(info.path)}"
            self.transport.download(url, root / relative)
        if len(infos) == 1 and infos[0].path == prefix:
            return root / Path(infos[0].path).name
        return root

    def _read(self, run_id: str, info: ArtifactInfo) -> bytes:
        if self.blobs is not None and self.blobs.exists(info.digest):
            return self.blobs.get_bytes(info.digest)
        return self.transport.read_bytes(f"/api/v1/runs/{run_id}/artifacts/{quote(info.path)}")

    # ------------------------------------------------------------------ reproducibility
    def seed_everything(self, seed: int) -> int:
        """Seed Python, NumPy and (if imported) PyTorch and TensorFlow; record it on runs."""
        return _seed_everything(seed)


def _experiment_path(name_or_id: str | int) -> str:
    return f"/api/v1/experiments/{quote(str(name_or_id), safe='')}"


def _user() -> str:
    name = os.environ.get("LOOPML_USER")
    if name:
        return name[:256]
    try:
        return getpass.getuser()[:256]
    except (KeyError, OSError):
        return "unknown"


def _source() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return str(Path(path).resolve())[:1024] if path else "<interactive>"
