"""Execute one loop run: data -> training -> gates -> (canary ->) promotion.

Every state change is stored before the work of the next state starts, so a run whose
process died can be resumed by another (``resume``): from the gates once a challenger is
registered, from the canary once it started; a run that died while training is marked
failed. A heartbeat thread keeps the run's ``heartbeat_at`` fresh while it works.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml.loop import canary as cn, promotion as pr, records as rec
from loopml.loop.training_data import NotEnoughLabels, build_training_set
from loopml.loop.triggers import LOOP_TAG
from loopml.store.lineage import Edge, Node, record_edges

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loopml.ci import ModelCI
    from loopml.data import Datasets
    from loopml.loop.definition import Loop
    from loopml.loop.training_data import FeatureSource
    from loopml.models import Models
    from loopml.monitoring import Monitoring
    from loopml.pipelines.api import Pipelines
    from loopml.store import Store
    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)
MODEL_MEDIA = "application/vnd.loopml.model-package+json"


@dataclass
class Parts:
    """The component APIs a loop drives (the client hands them down)."""

    store: Store
    models: Models
    datasets: Datasets
    monitors: Monitoring
    pipelines: Pipelines
    ci: ModelCI
    log: EventLog
    features: FeatureSource | None = None


class RunFailed(Exception):
    """A step of the run failed; the message is stored as the run's error."""


class Runner:
    """Drives one loop run through its states.

    Args:
        parts: the components.
        loop: the loop definition.
        run: the run (already stored, in flight).
        holder: who runs it (for heartbeats and takeover).
        on_event: called with ``(kind, message, detail)`` for each event (narration).
    """

    def __init__(
        self,
        parts: Parts,
        loop: Loop,
        run: rec.LoopRun,
        holder: str,
        on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.parts = parts
        self.loop = loop
        self.run = run
        self.holder = holder
        self.on_event = on_event
        self.db = parts.store.db

    # ------------------------------------------------------------------ driving
    def execute(self) -> rec.LoopRun:
        """Run from the stored state to an end state; never raises for a failed step."""
        with self._heartbeat():
            try:
                self._drive()
            except NotEnoughLabels as err:
                self._end("BLOCKED", str(err), error=str(err))
            except Exception as err:
                detail = traceback.format_exc()
                logger.exception("loop %s run %s failed", self.loop.name, self.run.id)
                self._abandon_canary()
                self._end("FAILED", f"{type(err).__name__}: {err}", error=detail)
        return self.run

    def _drive(self) -> None:
        status = self.run.status
        if status == "QUEUED":
            self._train()
            status = self.run.status
        if status == "TRAINING":
            raise RunFailed(
                "the process running this loop stopped while training "
                f"(pipeline run {self.run.pipeline_run_id or 'not started'}); the champion "
                "kept serving; trigger the loop again"
            )
        if status == "GATING":
            if not self._gate():
                return
            status = self.run.status
        if status == "CANARY" and not self._canary():
            return
        if not self.run.is_done:
            self._promote()

    def _update(self, **values: Any) -> None:
        self.run = rec.update_run(self.db, self.run.id, **values)

    def event(self, kind: str, message: str, **detail: Any) -> None:
        """Record (and narrate) an event of this run."""
        rec.add_event(self.db, self.loop.name, kind, message, run_id=self.run.id, detail=detail)
        if self.on_event is not None:
            self.on_event(kind, message, detail)

    def _end(self, status: str, message: str, *, error: str | None = None) -> None:
        self._update(status=status, error=error)
        self.event(status.lower(), message)

    @contextmanager
    def _heartbeat(self) -> Iterator[None]:
        stop = threading.Event()
        every = max(self.loop_stale_s() / 4, 0.5)

        def beat() -> None:
            while not stop.wait(every):
                try:
                    rec.heartbeat(self.db, self.run.id, self.holder)
                except Exception:  # a missed beat is retried; never kill the run
                    logger.warning("loop run %s: heartbeat failed", self.run.id, exc_info=True)

        thread = threading.Thread(target=beat, name=f"loopml-loop-{self.run.id[:8]}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

    def loop_stale_s(self) -> float:
        """Seconds without heartbeat after which another process takes the run over."""
        stale = self.loop.stale_after
        return stale.total_seconds() if isinstance(stale, dt.timedelta) else 60.0

    # ------------------------------------------------------------------ training
    def _train(self) -> None:
        champion = pr.current_version(self.parts.models, self.loop.model, self.loop.alias)
        self._update(status="TRAINING", champion_version=champion)
        cause = self.run.cause
        if cause.get("trigger") == "registry" and cause.get("model") == self.loop.model:
            version = int(cause["model_version"])
            self.event("challenger", f"version {version} registered by hand is the challenger")
            self._update(status="GATING", challenger_version=version)
            return
        params = dict(self.loop.params)
        facts: dict[str, Any] = {}
        if self.loop.training is not None and self.loop.pipeline is not None:
            built = self._training_set()
            params[self.loop.data.param] = built.train.ref
            facts = built.to_dict()
            self._update(dataset=built.train.ref, state={**self.run.state, "data": facts})
        if self.loop.pipeline is None:
            raise RunFailed(f"loop {self.loop.name!r} has no training pipeline; set pipeline=")
        self.event("training", f"training pipeline {self.loop.pipeline!r} started", **facts)
        info = self.parts.pipelines.trigger(
            self.loop.pipeline, params, wait=True, reason=self.run.cause.get("message"),
            source=f"loop:{self.loop.name}",
        )  # fmt: skip
        self._update(pipeline_run_id=info.id)
        if info.status != "SUCCEEDED":
            raise RunFailed(
                f"training pipeline run {info.id} {info.status}: {info.error or 'a step failed'}; "
                "the champion keeps serving (see `loopml pipelines show "
                f"{info.id[:12]}`)"
            )
        version = self._register(info.outputs, info.id)
        self.event("challenger", f"trained version {version} of {self.loop.model!r}",
                   version=version, pipeline_run_id=info.id)  # fmt: skip
        self._update(status="GATING", challenger_version=version)

    def _training_set(self) -> Any:
        signature = None
        champion = self.run.champion_version
        if champion is not None:
            signature = self.parts.models.get_model_version(self.loop.model, champion).signature
        columns = signature.input_names if signature is not None else None
        spec = self.loop.data
        since = None
        if spec.after_trigger:
            since = dt.datetime.fromtimestamp(int(self.run.cause.get("at") or 0) / 1000, dt.UTC)
        deadline = time.monotonic() + spec.wait_s
        while True:
            try:
                built = build_training_set(
                    self.parts.log, self.parts.datasets, str(self.loop.deployment), spec,
                    self.loop.training_dataset, columns=columns, features=self.parts.features,
                    since=since,
                )  # fmt: skip
                break
            except NotEnoughLabels:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(1.0, max(deadline - time.monotonic(), 0.0)))
        self.event("data", f"training set {built.train.ref} ({built.labelled} labelled "
                   f"predictions; holdout {built.holdout.ref})", **built.to_dict())  # fmt: skip
        return built

    def _register(self, outputs: Any, pipeline_run: str) -> int:
        found = _model_output(outputs)
        if found is None:  # a URI or version number returned as a stored JSON value
            found = _model_output(self.parts.pipelines.load_outputs(outputs))
        if isinstance(found, int):
            return found
        if found is None:
            raise RunFailed(
                f"training pipeline {self.loop.pipeline!r} returned no model; return the "
                "fitted model, a logged package URI (runs:/...), or a dict with a 'model' entry"
            )
        tags = {LOOP_TAG: self.run.id, "loopml.loop": self.loop.name,
                "loopml.pipeline_run": pipeline_run}  # fmt: skip
        if self.run.dataset:
            tags["loopml.training_data"] = self.run.dataset
        version = self.parts.models.register_model(
            found, self.loop.model, f"trained by loop {self.loop.name} (run {self.run.id[:12]})",
            tags, by="loopml-loop",
        )  # fmt: skip
        if self.run.dataset:
            dataset = self.parts.datasets.get_version(self.run.dataset)
            record_edges(self.parts.store, [Edge(
                Node("model_version", f"{self.loop.model}/{version.version}"), "trained_on",
                Node("dataset_version", dataset.node_id),
            )])  # fmt: skip
        return version.version

    # ------------------------------------------------------------------ gates
    def _gate(self) -> bool:
        version = self.run.challenger_version
        assert version is not None
        holdout = (self.run.state.get("data") or {}).get("holdout")
        evaluation: Any = None
        if holdout:
            frame = self.parts.datasets.load_dataset(self.parts.datasets.get_version(holdout))
            evaluation = frame.rename(columns={self.loop.data.label: "label"})
        verdict = self.parts.ci.run_gates(
            self.loop.model, version, self.loop.gate_list, champion=self.loop.alias,
            evaluation=evaluation, deployment=None if holdout else self.loop.deployment,
            since=None if holdout else dt.datetime.now(dt.UTC) - self.loop.data.span,
            training_data=self.run.dataset, source=f"loop:{self.loop.name}",
            facts={"loop": self.loop.name, "loop_run": self.run.id},
        )  # fmt: skip
        self._update(verdict_id=verdict.id)
        self.event("gates", f"version {version}: {verdict.summary()}", verdict_id=verdict.id,
                   passed=verdict.passed)  # fmt: skip
        if not verdict.passed:
            self._end("BLOCKED", f"challenger version {version} blocked: {verdict.summary()}")
            return False
        status = "CANARY" if self.loop.policy.has_canary else "PROMOTING"
        if status == "CANARY":
            self._start_canary(version)
        return True

    # ------------------------------------------------------------------ canary
    def _start_canary(self, version: int) -> None:
        policy = self.loop.policy
        counts = cn.scrape(policy.servers, str(self.loop.deployment)) if policy.servers else {}
        started = time.time()
        state = {**self.run.state, "canary_started": started,
                 "canary_counts": {str(k): list(v) for k, v in counts.items()}}  # fmt: skip
        pr.move(self.parts.models, self.loop.model, policy.canary_alias, version,
                f"canary of loop {self.loop.name} run {self.run.id[:12]}")  # fmt: skip
        self._update(status="CANARY", state=state)
        pr.set_canary_share(self.parts.models, self.loop.model, str(self.loop.deployment),
                            policy.canary_alias, policy.canary_percent)  # fmt: skip
        self.event("canary", f"version {version} takes {policy.canary_percent:g}% of traffic "
                   f"via {self.loop.model}@{policy.canary_alias}")  # fmt: skip

    def _canary(self) -> bool:
        policy = self.loop.policy
        started = float(self.run.state.get("canary_started") or time.time())
        stored = self.run.state.get("canary_counts") or {}
        start_counts = {int(k): (int(v[0]), int(v[1])) for k, v in stored.items()}
        champion, challenger = self.run.champion_version, self.run.challenger_version
        assert challenger is not None
        since = dt.datetime.fromtimestamp(started, tz=dt.UTC)
        while True:
            # judged as of when the read began: a slow read must not pass for a quiet canary
            seen_at = time.time()
            old, new = cn.read_arms(self.parts.log, str(self.loop.deployment), since,
                                    champion or -1, challenger)  # fmt: skip
            if policy.servers:
                counts = cn.scrape(policy.servers, str(self.loop.deployment))
                old, new = cn.with_errors(old, counts, start_counts), cn.with_errors(
                    new, counts, start_counts)  # fmt: skip
            decision = cn.judge(policy, old, new, seen_at - started)
            logger.info("loop %s canary check: champion %s, canary %s: %s", self.loop.name,
                        old, new, decision.reason)  # fmt: skip
            if decision.action != "wait":
                break
            time.sleep(policy.poll_s)
        arms = {"champion": old.to_dict(), "canary": new.to_dict()}
        self._update(state={**self.run.state, "canary": arms, "canary_decision": decision.reason})
        if decision.action == "rollback":
            self._end_canary(champion, f"canary rolled back: {decision.reason}")
            self._end("ROLLED_BACK", f"version {challenger} rolled back: {decision.reason}")
            return False
        self.event("canary_passed", decision.reason, **arms)
        return True

    def _end_canary(self, champion: int | None, reason: str) -> None:
        pr.clear_canary_share(self.parts.models, self.loop.model, str(self.loop.deployment))
        if champion is not None:
            pr.move(self.parts.models, self.loop.model, self.loop.policy.canary_alias, champion,
                    reason)  # fmt: skip

    def _abandon_canary(self) -> None:
        """A run that fails during its canary gives the canary's traffic back to the champion."""
        if self.run.status != "CANARY":
            return
        try:
            self._end_canary(self.run.champion_version, "canary ended: its loop run failed")
        except Exception:  # the failure itself is what gets recorded
            logger.exception("loop %s run %s: cannot end the canary", self.loop.name, self.run.id)

    # ------------------------------------------------------------------ promotion
    def _promote(self) -> None:
        version = self.run.challenger_version
        assert version is not None
        verdict = f"verdict {self.run.verdict_id}" if self.run.verdict_id else "no verdict"
        reason = (f"promoted by loop {self.loop.name} run {self.run.id[:12]} "
                  f"({verdict}: gates passed; cause: {self.run.cause.get('trigger')})")  # fmt: skip
        pr.move(self.parts.models, self.loop.model, self.loop.alias, version, reason)
        if self.loop.policy.has_canary:
            self._end_canary(version, f"canary of version {version} promoted")
        followed = False
        if self.loop.monitor and self.run.dataset:
            followed = pr.follow_champion(
                self.parts.monitors, self.loop.monitor, f"datasets:/{self.run.dataset}"
            )
        note = f"; monitor {self.loop.monitor!r} follows it" if followed else ""
        self._end("PROMOTED", f"version {version} is now {self.loop.model}@{self.loop.alias}{note}")


def _model_output(outputs: Any) -> str | int | None:
    """The model package URI (or a registered version number) in pipeline outputs."""
    if isinstance(outputs, str) and outputs.startswith(("runs:/", "models:/", "package:")):
        return outputs
    if isinstance(outputs, dict):
        ref = outputs.get("$artifact")
        if isinstance(ref, dict) and ref.get("media_type") == MODEL_MEDIA:
            return str(ref.get("uri"))
        if isinstance(outputs.get("model_version"), int):
            return int(outputs["model_version"])
        if "model" in outputs:
            return _model_output(outputs["model"])
        values = list(outputs.values())
    elif isinstance(outputs, list):
        values = outputs
    else:
        return None
    for value in values:
        found = _model_output(value)
        if found is not None:
            return found
    return None
