"""Run trials of one study until its budget is spent: the loop every executor runs.

A worker opens its own store and Optuna storage from the settings, so the same function
runs in this process, in a process pool or on a Dask worker. Each trial is one child run
of the study's run: parameters and tags recorded with the run before the objective
starts, the objective's value (or values) logged as metrics, intermediate values as
metric history, the final state (COMPLETE, PRUNED, FAIL) as a tag and in Optuna. A
finished trial costs loopml three statements' worth of transactions: the budget count,
the run's creation (with params, tags and the run id in Optuna) and its end (metrics,
state tag and status).
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml.store import Store
from loopml.tracking import Tracking
from loopml.training.space import distributions
from loopml.training.storage import attr_writer, counted_trials, open_storage, set_trial_attr
from loopml.training.trial import Trial

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import optuna

    from loopml.config import Settings

logger = logging.getLogger(__name__)

STUDY_TAG = "loopml.tune.study"
TRIAL_TAG = "loopml.tune.trial"
STATE_TAG = "loopml.tune.state"
PID_TAG = "loopml.tune.pid"
HOST_TAG = "loopml.tune.host"
RUN_ATTR = "loopml_run_id"
RELEASED_ATTR = "loopml_released"


@dataclass(frozen=True, slots=True)
class WorkOrder:
    """What a worker needs to run trials (picklable: sent to processes and Dask workers)."""

    settings: Settings
    study: str
    parent_run_id: str
    experiment: str
    objective: Callable[[Trial], Any]
    space: Mapping[str, Any]
    metric: str
    n_trials: int
    catch: tuple[type[BaseException], ...] = ()
    sampler: Any = None
    pruner: Any = None


def run_trials(order: WorkOrder) -> int:
    """Run trials until the study holds ``n_trials`` finished or running; return how many ran."""
    import optuna

    store = Store.from_settings(order.settings)
    storage = open_storage(store.db.url)
    try:
        study = optuna.load_study(
            study_name=order.study, storage=storage, sampler=order.sampler, pruner=order.pruner
        )
        tracking = Tracking(store, order.experiment)
        fixed = distributions(order.space)
        ran = 0
        while budget_left(study, order.n_trials):
            run_one(study, tracking, order, fixed)
            ran += 1
        return ran
    finally:
        storage.engine.dispose()
        store.close()


def budget_left(study: optuna.Study, n_trials: int) -> bool:
    """Whether the study holds fewer than ``n_trials`` trials (running ones included).

    Trials released after their process died do not count: their replacements do.
    """
    return counted_trials(study, RELEASED_ATTR) < n_trials


def run_one(
    study: optuna.Study, tracking: Tracking, order: WorkOrder, fixed: Mapping[str, Any]
) -> None:
    """Ask for one trial, run the objective in a child run, tell the outcome."""
    import optuna

    optuna_trial = study.ask(dict(fixed))
    number = optuna_trial.number
    trial_id = optuna_trial._trial_id
    # The run, its params and tags, and the run's id in Optuna in one transaction (when
    # Optuna's tables are in the store's database, as open_storage makes them).
    record_run = attr_writer(study, tracking.store.db.url, trial_id, RUN_ATTR)
    run = tracking.start_run(
        order.experiment,
        f"{order.study}-trial-{number}",
        parent_id=order.parent_run_id,
        capture=False,
        params=optuna_trial.params,
        tags={
            STUDY_TAG: order.study,
            TRIAL_TAG: number,
            PID_TAG: os.getpid(),
            HOST_TAG: socket.gethostname(),
        },
        on_create=record_run,
    )
    if record_run is None:
        set_trial_attr(study, trial_id, RUN_ATTR, run.id)
    trial = Trial(optuna_trial, run, order.metric)
    # Metrics and intermediate values are buffered; the run ends (the buffer, the state
    # tag and the status in one transaction) before Optuna is told the outcome.
    with run:
        try:
            outcome = order.objective(trial)
        except optuna.TrialPruned:
            run.end(tags={STATE_TAG: "PRUNED"})
            _tell(study, optuna_trial, None, optuna.trial.TrialState.PRUNED)
            return
        except order.catch as err:
            logger.warning("trial %s of %s failed: %s", number, order.study, err)
            error = traceback.format_exc()[-4000:]
            run.end(tags={STATE_TAG: "FAIL", "loopml.tune.error": error})
            _tell(study, optuna_trial, None, optuna.trial.TrialState.FAIL)
            return
        except BaseException:
            run.set_tag(STATE_TAG, "FAIL")
            _tell(study, optuna_trial, None, optuna.trial.TrialState.FAIL)
            raise  # the run ends FAILED (KILLED on KeyboardInterrupt) with the traceback
        values = _values(outcome, order.metric, len(study.directions))
        run.log_metrics(dict(zip(_metric_names(order.metric, len(values)), values, strict=True)))
        run.end(tags={STATE_TAG: "COMPLETE"})
        _tell(study, optuna_trial, values if len(values) > 1 else values[0], None)


def _tell(
    study: optuna.Study,
    trial: optuna.Trial,
    values: float | list[float] | None,
    state: optuna.trial.TrialState | None,
) -> None:
    """Tell Optuna a trial's outcome, as ``Study.optimize`` does.

    ``Study.tell`` reloads the trial afterwards to return a copy (about as many queries as
    the tell itself), which nothing here uses; Optuna's own loop calls the function
    behind it instead.
    """
    try:
        from optuna.study._tell import _tell_with_warning
    except ImportError:  # pragma: no cover - present in every supported Optuna
        study.tell(trial, values, state=state)
        return
    _tell_with_warning(study=study, trial=trial, value_or_values=values, state=state)


def _values(outcome: Any, metric: str, count: int) -> list[float]:
    if isinstance(outcome, dict):
        names = _metric_names(metric, count)
        missing = [n for n in names if n not in outcome]
        if missing:
            raise KeyError(f"the objective returned {sorted(outcome)}, without {missing}")
        return [float(outcome[n]) for n in names]
    if isinstance(outcome, list | tuple):
        return [float(v) for v in outcome]
    return [float(outcome)]


def _metric_names(metric: str, count: int) -> list[str]:
    names = [m.strip() for m in metric.split(",")]
    if len(names) == count:
        return names
    return [metric] if count == 1 else [f"{metric}_{i}" for i in range(count)]
