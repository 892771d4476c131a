"""``tune``: a hyper-parameter search on Optuna, recorded as a study run with trial child runs.

The study lives in Optuna's tables inside loopml's metadata database
(:mod:`loopml.training.storage`), so calling :meth:`Tuner.tune` again with the same study
name resumes it: finished trials are kept, trials left running by a process that died on
this host are marked failed, and only the missing trials run. Trials run in this process
(``executor="local"``), in a pool of processes (``"process"``) or on a Dask cluster
(``"dask://host:8786"``); the objective must then be importable (a module-level function).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from loopml.errors import InvalidInput
from loopml.tracking import Tracking
from loopml.tracking.run import active_run
from loopml.training import report, worker as w
from loopml.training.space import describe, distributions
from loopml.training.storage import open_storage

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import optuna
    from optuna.storages import RDBStorage

    from loopml.config import Settings
    from loopml.store import Store
    from loopml.training.trial import Trial

logger = logging.getLogger(__name__)

Direction = Literal["minimize", "maximize"]


@dataclass(frozen=True, slots=True)
class TuneResult:
    """The outcome of a search.

    Attributes:
        study: the study name (pass it again to resume).
        run_id: the study's run (each trial is one of its child runs).
        best_params: parameters of the best trial.
        best_value: its objective value.
        best_trial: its number; ``best_run_id`` is its run.
        best_run_id: the best trial's run.
        n_trials: trials finished (complete, pruned or failed) in the study.
        n_complete: trials that completed.
        n_pruned: trials the pruner stopped.
    """

    study: str
    run_id: str
    best_params: dict[str, Any]
    best_value: float | None
    best_trial: int | None
    best_run_id: str | None
    n_trials: int
    n_complete: int
    n_pruned: int


class Tuner:
    """Hyper-parameter searches over one store (``client.tuner``).

    Args:
        store: where the study run, trial runs and Optuna tables live.
        settings: the client's settings (sent to worker processes).
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._storage: RDBStorage | None = None

    def __repr__(self) -> str:
        return f"Tuner({self.store!r})"

    @property
    def storage(self) -> RDBStorage:
        """Optuna's storage on this store's database (opened on first use)."""
        if self._storage is None:
            self._storage = open_storage(self.store.db.url)
        return self._storage

    def close(self) -> None:
        """Release the Optuna storage's database connections."""
        if self._storage is not None:
            self._storage.engine.dispose()
            self._storage = None

    def list_studies(self) -> list[str]:
        """Return the names of the studies in the metadata database."""
        return report.list_studies(self.storage)

    def summary(self, study: str) -> report.StudySummary:
        """Return a study's trials and best trial (raises ``StudyNotFound``)."""
        return report.load_summary(self.storage, study)

    def history(self, study: str) -> dict[str, Any]:
        """Return the optimization history plot's data (for the web UI)."""
        return report.history(self.summary(study))

    def history_svg(self, study: str) -> str:
        """Return the optimization history as a self-contained SVG."""
        return report.history_svg(self.summary(study))

    def html_report(self, summary: report.StudySummary) -> str:
        """Return an HTML page for ``summary``: best trial, plot and trials."""
        return report.html_report(summary)

    def tune(
        self,
        objective: Callable[[Trial], Any],
        space: Mapping[str, Any],
        *,
        n_trials: int = 20,
        direction: Direction | list[Direction] = "minimize",
        metric: str = "value",
        study: str | None = None,
        experiment: str | None = None,
        sampler: Any = None,
        pruner: Any = None,
        seed: int | None = None,
        n_jobs: int = 1,
        executor: str = "local",
        catch: tuple[type[BaseException], ...] = (),
    ) -> TuneResult:
        """Search ``space`` for the parameters that optimise ``objective``.

        Args:
            objective: called with a :class:`~loopml.training.Trial` (``trial.params``,
                ``trial.report(value, step)``); returns the value to optimise (or a dict of
                values named by ``metric``, or a tuple for several directions).
            space: parameter -> ``(low, high)``, ``(low, high, "log")``, a list of choices
                or an Optuna distribution.
            n_trials: trials the study should hold when done, failed ones included
                (resuming counts earlier ones; trials of a dead process are replaced).
            direction: ``minimize`` or ``maximize`` (a list for multi-objective studies).
            metric: name of the logged objective value (comma-separated for several).
            study: study name (default: ``<experiment>-tune``); an existing one resumes.
            experiment: experiment of the study and trial runs (default: the client's).
            sampler: an Optuna sampler (default: TPE, seeded with ``seed``).
            pruner: an Optuna pruner (default: median pruner).
            seed: seed of the default sampler.
            n_jobs: trials run at once (with ``executor`` ``process`` or ``dask://``).
            executor: ``local``, ``process`` or ``dask://host:port``.
            catch: exception types that fail a trial without stopping the search.

        Returns:
            A :class:`TuneResult`.

        Raises:
            InvalidInput: a bad space, budget, direction or executor.
        """
        import optuna

        _check(n_trials, n_jobs, executor, self.store)
        distributions(space)  # validate before anything is written
        directions = [direction] if isinstance(direction, str) else list(direction)
        experiment_name = experiment or self.settings.experiment
        name = study or f"{experiment_name}-tune"
        optuna_study = optuna.create_study(
            study_name=name,
            storage=self.storage,
            directions=directions,
            sampler=sampler or optuna.samplers.TPESampler(seed=seed),
            pruner=pruner or optuna.pruners.MedianPruner(),
            load_if_exists=True,
        )
        _release_dead_trials(optuna_study, Tracking(self.store))
        tracking = Tracking(self.store, experiment_name)
        parent = self._study_run(
            optuna_study, tracking, experiment_name, space, n_trials, directions
        )
        order = w.WorkOrder(
            settings=self.settings,
            study=name,
            parent_run_id=parent,
            experiment=experiment_name,
            objective=objective,
            space=space,
            metric=metric,
            n_trials=n_trials,
            catch=tuple(catch),
            sampler=sampler,
            pruner=pruner,
        )
        status = "FAILED"
        try:
            self._run(order, optuna_study, tracking, n_jobs, executor)
            status = "FINISHED"
        finally:
            result = summarize(optuna_study, parent)
            _finish_study_run(tracking, parent, result, status)
        return result

    def _study_run(
        self,
        study: optuna.Study,
        tracking: Tracking,
        experiment: str,
        space: Mapping[str, Any],
        n_trials: int,
        directions: list[Direction],
    ) -> str:
        previous = study.user_attrs.get(w.RUN_ATTR)
        if previous is not None:
            run = tracking.start_run(run_id=str(previous))
        else:
            run = tracking.start_run(
                experiment,
                study.study_name,
                params={
                    "n_trials": n_trials,
                    "direction": ",".join(directions),
                    "space": json.dumps(describe(space), sort_keys=True),
                },
                tags={w.STUDY_TAG: study.study_name, "loopml.tune.role": "study"},
            )
            study.set_user_attr(w.RUN_ATTR, run.id)
        run.flush()
        return run.id

    def _run(
        self,
        order: w.WorkOrder,
        study: optuna.Study,
        tracking: Tracking,
        n_jobs: int,
        executor: str,
    ) -> None:
        if executor == "local":
            fixed = distributions(order.space)

            def loop() -> None:
                while w.budget_left(study, order.n_trials):
                    w.run_one(study, tracking, order, fixed)

            if n_jobs == 1:
                loop()
                return
            with ThreadPoolExecutor(n_jobs, thread_name_prefix="loopml-tune") as threads:
                for waiting in [threads.submit(loop) for _ in range(n_jobs)]:
                    waiting.result()
            return
        if executor == "process":
            # spawn: a forked child would inherit the parent's threads and held locks
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=context) as pool:
                futures = [pool.submit(w.run_trials, order) for _ in range(n_jobs)]
                for future in futures:
                    future.result()
            return
        _run_on_dask(order, executor, n_jobs)


def _run_on_dask(order: w.WorkOrder, executor: str, n_jobs: int) -> None:
    try:
        from distributed import Client
    except ImportError as err:  # pragma: no cover - part of dev
        raise InvalidInput("executor dask:// needs pip install 'loopml[dask]'") from err
    address = "tcp://" + executor.removeprefix("dask://")
    with Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(w.run_trials, order, pure=False) for _ in range(n_jobs)]
        client.gather(futures)


def _check(n_trials: int, n_jobs: int, executor: str, store: Store) -> None:
    if n_trials < 1:
        raise InvalidInput(f"n_trials must be at least 1, not {n_trials}")
    if n_jobs < 1:
        raise InvalidInput(f"n_jobs must be at least 1, not {n_jobs}")
    if executor not in {"local", "process"} and not executor.startswith("dask://"):
        raise InvalidInput(f"executor {executor!r}: use local, process or dask://host:port")
    in_memory = store.db.is_sqlite and store.db.url.rstrip("/") in {"sqlite:", "sqlite:/"}
    if in_memory or ":memory:" in store.db.url:
        raise InvalidInput(
            "hyper-parameter search keeps its study in the metadata database, which is in "
            "memory here; use a file (db_url='sqlite:///loopml.db') or PostgreSQL"
        )
    if executor != "local" and store.blobs.backend.url.startswith("memory://"):
        raise InvalidInput("trials in other processes need an artifact store they can reach")


def _release_dead_trials(study: optuna.Study, tracking: Tracking) -> None:
    """Fail trials left RUNNING by a process of this host that no longer exists."""
    import optuna

    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        run_id = trial.user_attrs.get(w.RUN_ATTR)
        if not run_id:  # died before its run was recorded: nothing says where it ran
            continue
        tags = tracking.get_run(str(run_id)).tags
        if tags.get(w.HOST_TAG) != host or _alive(int(tags.get(w.PID_TAG, -1))):
            continue
        study._storage.set_trial_user_attr(trial._trial_id, w.RELEASED_ATTR, True)
        study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        run = tracking.start_run(run_id=str(run_id))
        run.set_tag(w.STATE_TAG, "FAIL")
        run.end("KILLED", error="the process running this trial died; the study resumed")
        logger.info(
            "study %s: trial %s was left running by a dead process; marked failed",
            study.study_name,
            trial.number,
        )


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def summarize(study: optuna.Study, run_id: str) -> TuneResult:
    """Return the result of ``study`` as it stands."""
    import optuna

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    finished = [t for t in trials if t.state.is_finished()]
    best = None
    if complete and len(study.directions) == 1:
        best = study.best_trial
    elif complete:
        best = study.best_trials[0]
    return TuneResult(
        study=study.study_name,
        run_id=run_id,
        best_params=dict(best.params) if best else {},
        best_value=(best.values[0] if best and best.values else None),
        best_trial=best.number if best else None,
        best_run_id=str(best.user_attrs.get(w.RUN_ATTR)) if best else None,
        n_trials=len(finished),
        n_complete=len(complete),
        n_pruned=len(pruned),
    )


def _finish_study_run(tracking: Tracking, run_id: str, result: TuneResult, status: str) -> None:
    run = active_run()
    if run is None or run.id != run_id:
        run = tracking.start_run(run_id=run_id)
    if result.best_value is not None:
        run.log_metric("best_value", result.best_value, step=result.n_trials)
    tags: dict[str, object] = {
        "loopml.tune.n_trials": result.n_trials,
        "loopml.tune.n_pruned": result.n_pruned,
    }
    if result.best_run_id:
        tags["loopml.tune.best_run"] = result.best_run_id
        tags["loopml.tune.best_params"] = json.dumps(
            result.best_params, sort_keys=True, default=str
        )
    run.set_tags(tags)
    run.end(status)
