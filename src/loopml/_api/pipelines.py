"""``lm.trigger_pipeline``, ``lm.resume_pipeline_run``...: registered pipelines and runs."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.pipelines.api import Pipelines


def _pipelines() -> Pipelines:
    """Return the default client's pipelines API."""
    return get_client().pipelines


register_pipeline = forward(Pipelines.register, _pipelines, name="register_pipeline")
trigger_pipeline = forward(Pipelines.trigger, _pipelines, name="trigger_pipeline")
get_pipeline_run = forward(Pipelines.get_run, _pipelines, name="get_pipeline_run")
list_pipeline_runs = forward(Pipelines.list_runs, _pipelines, name="list_pipeline_runs")
resume_pipeline_run = forward(Pipelines.resume, _pipelines, name="resume_pipeline_run")
cancel_pipeline_run = forward(Pipelines.cancel, _pipelines, name="cancel_pipeline_run")
