"""``lm.apply_loop``, ``lm.trigger_loop``, ``lm.rollback``, ``lm.run_gates``...: the loop and CI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml import _registry
from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.ci.api import ModelCI
from loopml.loop.api import Loops

if TYPE_CHECKING:
    import os
    from collections.abc import Callable
    from pathlib import Path

    from loopml.loop.demo.story import DemoSummary


def _loops() -> Loops:
    """Return the default client's loops API."""
    return get_client().loops


def _ci() -> ModelCI:
    """Return the default client's model CI API."""
    return get_client().ci


apply_loop = forward(Loops.apply, _loops, name="apply_loop")
get_loop = forward(Loops.get, _loops, name="get_loop")
list_loops = forward(Loops.list, _loops, name="list_loops")
trigger_loop = forward(Loops.trigger, _loops, name="trigger_loop")
pause_loop = forward(Loops.pause, _loops, name="pause_loop")
resume_loop = forward(Loops.resume, _loops, name="resume_loop")
loop_runs = forward(Loops.runs, _loops, name="loop_runs")
rollback = forward(Loops.rollback, _loops)
build_training_data = forward(Loops.build_training_set, _loops, name="build_training_data")
run_gates = forward(ModelCI.run_gates, _ci)
gate_verdicts = forward(ModelCI.verdicts, _ci, name="gate_verdicts")


def init_project(
    directory: str | os.PathLike[str], name: str | None = None, *, force: bool = False
) -> list[Path]:
    """Scaffold a project: pipeline, loop, loopml.yaml, tests and a CI workflow.

    Args:
        directory: where to create it.
        name: the model name (default: the folder's name).
        force: overwrite existing files.
    """
    scaffold = _registry.import_target("loopml.ci.scaffold:scaffold")
    written: list[Path] = scaffold(directory, name, force=force)
    return written


def run_demo(
    on_line: Callable[[str, str], None] | None = None,
    *,
    rate_hz: float = 25.0,
    acts: int = 3,
) -> DemoSummary:
    """Run the closed-loop demo on the default client's store and return its summary.

    Args:
        on_line: narration callback ``(stage, text)``.
        rate_hz: client requests per second (20 rows each).
        acts: 1: drift to promotion only; 3: also a blocked and a rolled-back challenger.
    """
    client = get_client()
    demo_class = _registry.import_target("loopml.loop.demo.story:Demo")
    demo = demo_class(
        client.loops,
        client.serving,
        client.runs,
        client.settings,
        on_line,
        rate_hz=rate_hz,
        acts=acts,
        make_scheduler=lambda: client.scheduler(
            sources=["monitors", "loops"], poll_interval=0.5, lease_ttl=15
        ),
    )
    summary: DemoSummary = demo.run()
    return summary
