"""``Loops``: declare loops, fire them, run them, roll back (``client.loops``, ``lm.*``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from loopml._utils.clock import now_ms, to_ms
from loopml._utils.ids import new_id
from loopml.errors import InvalidInput, NotFound
from loopml.loop import promotion as pr, records as rec
from loopml.loop.definition import Loop, TrainingData
from loopml.loop.runner import Parts, Runner
from loopml.loop.training_data import TrainingSet, build_training_set
from loopml.loop.triggers import Firing, TriggerSources
from loopml.store.event_cache import cached_event_log

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable, Mapping

    from loopml.models import AliasChange

logger = logging.getLogger(__name__)


def holder_id() -> str:
    """An id for this process (who runs a loop run)."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"


class Loops:
    """The closed loops of one store.

    Args:
        parts: the component APIs the loops drive.
    """

    def __init__(self, parts: Parts) -> None:
        # canary checks and gates read the same window again and again: keep its files
        self.parts = dataclasses.replace(parts, log=cached_event_log(parts.log))
        self.db = parts.store.db
        self.sources = TriggerSources(parts.store, parts.models, parts.datasets, self.parts.log)
        self.holder = holder_id()

    def __repr__(self) -> str:
        return f"Loops({self.parts.store!r})"

    # ------------------------------------------------------------------ definitions
    def apply(self, loop: Loop | Mapping[str, Any]) -> rec.LoopInfo:
        """Store (or update) a loop; triggers fire only for what happens from now on.

        With a canary rollout, the canary alias is pointed at the champion when it is not
        set, so servers started with ``--canary <model>@<alias>:<k>`` can load it.
        """
        definition = loop if isinstance(loop, Loop) else Loop.from_dict(loop)
        cursors = self.sources.initial_cursors(definition)
        rec.upsert_loop(self.db, definition, cursors)
        policy = definition.policy
        champion = pr.current_version(self.parts.models, definition.model, definition.alias)
        if policy.has_canary and champion is not None and pr.current_version(
            self.parts.models, definition.model, policy.canary_alias
        ) is None:  # fmt: skip
            pr.move(self.parts.models, definition.model, policy.canary_alias, champion,
                    f"canary route of loop {definition.name} starts on the champion")  # fmt: skip
        rec.add_event(self.db, definition.name, "applied", f"loop {definition.name!r} applied",
                      detail=definition.to_dict())  # fmt: skip
        return rec.get_loop(self.db, definition.name)

    def apply_file(self, path: str | os.PathLike[str]) -> builtins.list[rec.LoopInfo]:
        """Apply every loop of a ``loopml.yaml`` (its ``loops:`` list)."""
        return [self.apply(loop) for loop in read_loops(path)]

    def get(self, name: str) -> rec.LoopInfo:
        """Return a stored loop."""
        return rec.get_loop(self.db, name)

    def list(self) -> builtins.list[rec.LoopInfo]:
        """Return every stored loop."""
        return rec.list_loops(self.db)

    def delete(self, name: str) -> None:
        """Delete a loop (its runs and events stay as history)."""
        rec.delete_loop(self.db, name)

    def pause(self, name: str) -> None:
        """Stop a loop from firing (a run in flight finishes)."""
        rec.set_paused(self.db, name, True)
        rec.add_event(self.db, name, "paused", f"loop {name!r} paused")

    def resume(self, name: str) -> None:
        """Let a paused loop fire again."""
        rec.set_paused(self.db, name, False)
        rec.add_event(self.db, name, "resumed", f"loop {name!r} resumed")

    # ------------------------------------------------------------------ firing
    def trigger(
        self,
        name: str,
        reason: str | None = None,
        *,
        wait: bool = True,
        source: str = "manual",
        on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    ) -> rec.LoopRun:
        """Fire a loop by hand: run it here (``wait=True``) or queue it for the scheduler.

        Raises:
            LoopBusy: a run is already in flight.
        """
        info = self.get(name)
        message = reason or f"{source} trigger"
        firing = Firing(source, now_ms(), message, {"reason": reason})
        run = self._start(info, firing, [], status="QUEUED", holder=self.holder if wait else None,
                          force=True)  # fmt: skip
        assert run is not None
        if not wait:
            return run
        return self._execute(info.loop, run, on_event)

    def http_trigger(self, name: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What ``POST /loops/{name}/trigger`` does: queue a run; return it JSON-ready.

        The body may hold ``reason`` (text). Errors carry their HTTP status (404 unknown
        loop, 409 a run in flight, 422 a bad body).
        """
        data = dict(body or {})
        unknown = sorted(set(data) - {"reason"})
        if unknown:
            raise InvalidInput(
                f"unknown field(s) {unknown} in the trigger body; send {{'reason': ...}}"
            )
        reason = data.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InvalidInput(f"reason must be text, not {type(reason).__name__}")
        return self.trigger(name, reason, wait=False, source="http").to_dict()

    def fire(
        self,
        name: str,
        now: dt.datetime | None = None,
        *,
        on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    ) -> rec.LoopRun | None:
        """Check a loop's triggers; start and run a loop run when one fired.

        Firings while paused, in cooldown or with a run in flight are recorded as skipped.
        Several firings at once start one run (the oldest is its cause; the others are
        recorded as deduplicated). Returns the finished run, or ``None``.
        """
        info = self.get(name)
        moment = now or dt.datetime.now(dt.UTC)
        firings, cursors = self.sources.pending(info.loop, dict(info.cursors), moment)
        rec.set_cursors(self.db, name, cursors)
        if not firings:
            return None
        run = self._start(info, firings[0], firings[1:], status="QUEUED", holder=self.holder)
        return None if run is None else self._execute(info.loop, run, on_event)

    def pending(self, name: str, now: dt.datetime | None = None) -> builtins.list[Firing]:
        """Firings a loop would act on now (nothing is recorded)."""
        info = self.get(name)
        firings, _ = self.sources.pending(
            info.loop, dict(info.cursors), now or dt.datetime.now(dt.UTC)
        )
        return firings

    def _start(
        self,
        info: rec.LoopInfo,
        firing: Firing,
        others: builtins.list[Firing],
        *,
        status: str,
        holder: str | None,
        force: bool = False,
    ) -> rec.LoopRun | None:
        name = info.name
        skip = None if force else self._skip_reason(info, firing)
        if skip is None:
            try:
                run = rec.start_run(self.db, name, firing.to_dict(), holder=holder, status=status)
            except rec.LoopBusy as err:
                if force:
                    raise
                skip = err.message
        if skip is not None:
            for f in [firing, *others]:
                rec.add_event(self.db, name, "skipped", f"{f.message}: not run ({skip})",
                              detail=f.to_dict())  # fmt: skip
            return None
        rec.add_event(
            self.db, name, "fired", firing.message, run_id=run.id, detail=firing.to_dict()
        )
        for f in others:
            rec.add_event(self.db, name, "deduplicated", f"{f.message}: joins run {run.id[:12]}",
                          run_id=run.id, detail=f.to_dict())  # fmt: skip
        return run

    def _skip_reason(self, info: rec.LoopInfo, firing: Firing) -> str | None:
        if info.paused:
            return "the loop is paused"
        busy = rec.active_run(self.db, info.name)
        if busy is not None:
            return f"run {busy.id[:12]} is in flight ({busy.status})"
        last = rec.last_started(self.db, info.name)
        cooldown = info.loop.cooldown
        seconds = cooldown.total_seconds() if isinstance(cooldown, dt.timedelta) else 0.0
        if last is not None and now_ms() - last < seconds * 1000:
            left = seconds - (now_ms() - last) / 1000
            return f"cooldown: {left:.0f} s left of {seconds:.0f} s"
        return None

    def _execute(
        self,
        loop: Loop,
        run: rec.LoopRun,
        on_event: Callable[[str, str, dict[str, Any]], None] | None,
    ) -> rec.LoopRun:
        return Runner(self.parts, loop, run, self.holder, on_event).execute()

    # ------------------------------------------------------------------ recovery
    def stale_runs(self, now: dt.datetime | None = None) -> builtins.list[rec.LoopRun]:
        """Runs in flight whose holder stopped (heartbeat too old) or that wait in the queue."""
        moment = to_ms(now or dt.datetime.now(dt.UTC))
        out = []
        for run in rec.list_runs(self.db, active=True, limit=500):
            try:
                stale = self.get(run.loop).loop.stale_after
            except NotFound:
                stale = dt.timedelta(seconds=60)
            limit = stale.total_seconds() if isinstance(stale, dt.timedelta) else 60.0
            if run.holder is None or (run.heartbeat_at or 0) < moment - limit * 1000:
                out.append(run)
        return out

    def recover(
        self,
        run_id: str,
        *,
        on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    ) -> rec.LoopRun | None:
        """Take over a stale (or queued) run and drive it to its end; ``None`` if not ours."""
        run = rec.get_run(self.db, run_id)
        if run.is_done:
            return run
        stale_before = now_ms() + 1 if run.holder is None else (run.heartbeat_at or 0) + 1
        if not rec.claim_run(self.db, run.id, self.holder, stale_before):
            return None
        info = self.get(run.loop)
        if run.holder is not None:
            rec.add_event(self.db, run.loop, "resumed_run",
                          f"run {run.id[:12]} taken over from {run.holder} in state {run.status}",
                          run_id=run.id)  # fmt: skip
        return self._execute(info.loop, rec.get_run(self.db, run.id), on_event)

    # ------------------------------------------------------------------ reading
    def runs(self, name: str | None = None, limit: int = 50) -> builtins.list[rec.LoopRun]:
        """Loop runs, newest first."""
        if name is not None:
            self.get(name)
        return rec.list_runs(self.db, name, limit=limit)

    def get_run(self, run_id: str) -> rec.LoopRun:
        """A loop run by id (or unique prefix)."""
        return rec.get_run(self.db, run_id)

    def events(
        self, name: str | None = None, *, run_id: str | None = None, limit: int = 200
    ) -> builtins.list[rec.LoopEvent]:
        """A loop's events, oldest first."""
        return rec.list_events(self.db, name, run_id=run_id, limit=limit)

    # ------------------------------------------------------------------ rollout
    def rollback(
        self,
        model: str,
        alias: str = "champion",
        *,
        reason: str | None = None,
        to: int | None = None,
    ) -> AliasChange:
        """Move ``alias`` back to its previous version (servers hot-swap at once)."""
        change = pr.rollback(self.parts.models, model, alias, reason=reason, to=to)
        for info in self.list():
            if info.loop.model == model and info.loop.alias == alias:
                rec.add_event(self.db, info.name, "rollback", change.reason or "rollback",
                              detail=change.to_dict())  # fmt: skip
        return change

    def build_training_set(
        self, deployment: str, dataset: str, spec: TrainingData | Mapping[str, Any] | None = None
    ) -> TrainingSet:
        """Log ``deployment``'s labelled predictions as ``dataset`` (and its holdout)."""
        return build_training_set(
            self.parts.log, self.parts.datasets, deployment, TrainingData.from_value(spec),
            dataset, features=self.parts.features,
        )  # fmt: skip


def read_loops(path: str | os.PathLike[str]) -> builtins.list[Loop]:
    """Read the ``loops:`` list of a ``loopml.yaml``.

    Raises:
        InvalidInput: the file is missing, is not YAML, or has no ``loops:`` list.
    """
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(
            f"no file {str(file)!r}; pass the path of a loopml.yaml with a loops: list"
        )
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as err:
        raise InvalidInput(f"{file} is not valid YAML: {err}") from err
    loops = data.get("loops") if isinstance(data, dict) else None
    if not isinstance(loops, list) or not loops:
        raise InvalidInput(f"{file} has no 'loops:' list; add one, for example:\n{EXAMPLE_YAML}")
    return [Loop.from_dict(item) for item in loops]


EXAMPLE_YAML = """loops:
  - name: churn
    model: churn
    pipeline: pipelines.py:train
    monitor: churn
    triggers: [{type: alert}]
    gates: [{type: beats_champion, margin: 0.0}, {type: latency, p95_ms: 50}]
    rollout: {canary_percent: 10, duration: 5m}
"""
