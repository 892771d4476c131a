"""``lm.start_run``, ``lm.log_metric``...: experiments, runs and artifacts."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward, require_run
from loopml.tracking import Run, Tracking, flush_all


def _runs() -> Tracking:
    """Return the default client's tracking API."""
    return get_client().runs


# ---------------------------------------------------------------- the default client's runs
start_run = forward(Tracking.start_run, _runs)
set_experiment = forward(Tracking.set_experiment, _runs)
create_experiment = forward(Tracking.create_experiment, _runs)
get_experiment = forward(Tracking.get_experiment, _runs)
list_experiments = forward(Tracking.list_experiments, _runs)
get_run = forward(Tracking.get_run, _runs)
search_runs = forward(Tracking.search_runs, _runs)
get_metric_history = forward(Tracking.get_metric_history, _runs)

# ---------------------------------------------------------------- the active run
end_run = forward(Run.end, require_run, name="end_run")
log_param = forward(Run.log_param, require_run)
log_params = forward(Run.log_params, require_run)
log_metric = forward(Run.log_metric, require_run)
log_metrics = forward(Run.log_metrics, require_run)
set_tag = forward(Run.set_tag, require_run)
set_tags = forward(Run.set_tags, require_run)
log_artifact = forward(Run.log_artifact, require_run)
log_artifacts = forward(Run.log_artifacts, require_run)
log_dict = forward(Run.log_dict, require_run)
log_text = forward(Run.log_text, require_run)
log_table = forward(Run.log_table, require_run)
log_figure = forward(Run.log_figure, require_run)
log_model = forward(Run.log_model, require_run)


def flush() -> None:
    """Write every buffered metric point of this process now."""
    flush_all()
