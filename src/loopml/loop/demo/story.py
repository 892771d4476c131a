"""The demo's story: deploy, drift, detect, retrain, gate, canary, promote, swap; then a
bad challenger the gates block, and a canary that breaches and is rolled back.

Everything goes through the same APIs a user has (settings-driven store, the real model
server on uvicorn, the scheduler with its lease), so the story runs unchanged on
PostgreSQL + S3 + Redis + Dask.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import uvicorn
from sklearn.dummy import DummyClassifier

from loopml._utils.clock import now_ms
from loopml.ci.gates import BeatsChampion, CompatibleSignature, LatencyBudget, MetricFloor
from loopml.loop.definition import Loop, Rollout, TrainingData, Trigger
from loopml.loop.demo import scenario
from loopml.loop.demo.traffic import Traffic
from loopml.loop.promotion import clear_canary_share
from loopml.monitoring import Monitor, Rule

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.config import Settings
    from loopml.loop.api import Loops
    from loopml.pipelines.scheduler import Scheduler
    from loopml.serving.api import Serving
    from loopml.serving.server import Built
    from loopml.tracking import Tracking

MODEL = "demo-churn"
LOOP = "demo"
WINDOW_S = 5  # the monitor's window, in seconds
#: two of the three columns must drift: one column alone drifts by chance now and then
#: once the reference is the (smaller) training set of the new champion
DRIFT_RULE = "drift.share > 0.5"


@dataclass
class DemoSummary:
    """What the demo did and measured (``--json`` prints :meth:`to_dict`)."""

    stages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    failed_requests: int = 0
    promotions: int = 0
    rollbacks: int = 0
    blocked_challengers: int = 0
    quality_before: float | None = None
    quality_during: float | None = None
    quality_after: float | None = None
    detection_s: float | None = None
    validated_s: float | None = None
    serving_s: float | None = None
    failed_during_swap: int = 0
    champion_before: int | None = None
    champion_after: int | None = None
    server: str = ""
    error: str | None = None
    look_next: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Demo:
    """Runs the story once; ``on_line(stage, text)`` narrates it.

    Args:
        loops: the loops API (with the registry, monitors and store it drives).
        serving: the serving API (builds the model server).
        runs: the tracking API (logs the champion's package).
        settings: the client's settings (the scheduler's pipeline runs use them).
        on_line: narration callback.
        make_scheduler: builds the scheduler that runs the monitor and the loop
            (``client.scheduler(sources=["monitors", "loops"])``).
        rate_hz: client requests per second.
        seed: seeds the client's rows (the same seed sends the same stream).
        acts: 1 tells only drift -> promotion (the L1 benchmark); 3 adds the blocked
            challenger and the rolled-back canary.
    """

    def __init__(
        self,
        loops: Loops,
        serving: Serving,
        runs: Tracking,
        settings: Settings,
        on_line: Callable[[str, str], None] | None = None,
        *,
        make_scheduler: Callable[[], Scheduler],
        rate_hz: float = 25.0,
        acts: int = 3,
        seed: int = 7,
    ) -> None:
        self.loops, self.serving, self.runs, self.settings = loops, serving, runs, settings
        self.parts = loops.parts
        self.on_line = on_line or (lambda stage, text: None)
        self.rate_hz = rate_hz
        self.make_scheduler = make_scheduler
        self.acts = acts
        self.seed = seed
        self.summary = DemoSummary()
        self.started_ms = now_ms()
        self._event_cursor = 0
        self._stage: tuple[str, float] | None = None

    # ------------------------------------------------------------------ plumbing
    def stage(self, name: str) -> None:
        """Close the current stage and open ``name``."""
        now = time.perf_counter()
        if self._stage is not None:
            last, started = self._stage
            self.summary.stages.append({"name": last, "seconds": round(now - started, 2)})
        self._stage = (name, now) if name else None
        if name:
            self.on_line(name, "")

    def say(self, text: str) -> None:
        """Narrate one line of the current stage."""
        self.on_line(self._stage[0] if self._stage else "", text)

    def wait_for(self, kinds: set[str], timeout_s: float) -> str:
        """Narrate loop events until one of ``kinds``; return it (raises on timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for event in self.loops.events(LOOP, limit=50):
                if event.id <= self._event_cursor:
                    continue
                self._event_cursor = event.id
                self.say(f"{event.kind}: {event.message}")
                if event.kind in kinds:
                    return event.kind
            time.sleep(0.2)
        raise TimeoutError(f"the demo loop did not reach {sorted(kinds)} within {timeout_s:.0f} s")

    # ------------------------------------------------------------------ the story
    def run(self) -> DemoSummary:
        """Tell the whole story; always stops the server, traffic and scheduler."""
        self.stage("deploy the champion")
        champion = self._deploy()
        built = self.serving.build(
            f"{MODEL}@champion", deployment=MODEL, poll_interval=0.1, flush_interval=1.0
        )
        server = _Server(built)
        traffic = Traffic(server.url, rows_per_request=20, rate_hz=self.rate_hz,
                          seed=self.seed)  # fmt: skip
        scheduler = self.make_scheduler()
        runner = threading.Thread(target=scheduler.run_forever, name="loopml-demo-scheduler",
                                  daemon=True)  # fmt: skip
        try:
            server.start()
            self.summary.server = server.url
            self.say(f"{MODEL} v{champion} serves on {server.url}; the scheduler runs the "
                     "monitor and the loop, which sets the canary share itself")  # fmt: skip
            traffic.start()
            self._acts(traffic, built, runner)
        except TimeoutError as err:
            self.summary.error = str(err)
            self.say(f"stopped: {err}")
        finally:
            self.stage("")
            traffic.stop()
            scheduler.stop()
            if runner.ident is not None:
                runner.join(timeout=60)
            server.stop()
        self._totals(traffic)
        return self.summary

    def _acts(self, traffic: Traffic, built: Built, runner: threading.Thread) -> None:
        self.stage("traffic before drift")
        self._clean_window(time.time())
        runner.start()
        self.say("the scheduler starts: the monitor's windows hold only this run's traffic")
        time.sleep(2)
        self.stage("drift -> detection")
        onset = time.time()
        traffic.drifted, traffic.phase = True, "during"
        self.say("the population shifts: tenure up, spend down, and what spend means flips")
        self._wait_alert(onset)
        self.stage("retraining")
        if self.wait_for({"challenger", "failed", "blocked"}, 60) != "challenger":
            raise TimeoutError("the retraining run ended early; see `loopml loop show demo`")
        self.stage("gates")
        if self.wait_for({"gates", "failed"}, 60) == "gates":
            self.summary.validated_s = round(time.time() - onset, 2)
        self.stage("canary")
        outcome = self.wait_for({"promoted", "rolled_back", "blocked", "failed"}, 90)
        self.stage("swap")
        if outcome == "promoted":
            self._wait_swap(built, traffic, onset)
        traffic.phase = "after"
        self.stage("traffic after promotion")
        time.sleep(4)
        if self.acts < 2:
            return
        self.stage("bad challenger")
        sample = scenario.rows(50, drifted=True)
        constant = DummyClassifier(strategy="constant", constant=0).fit(
            sample[list(scenario.FEATURES)], sample["label"]
        )
        self._register_by_hand(constant, "a model that always answers 0")
        self.wait_for({"blocked", "promoted", "failed"}, 60)
        self.stage("canary breach")
        champion = self.parts.models.get_model_version(MODEL, "champion")
        slow = scenario.SlowModel(self.parts.models.load_model(champion.uri).native, 0.2)
        self._register_by_hand(slow, "the champion with a 200 ms latency bug")
        self.wait_for({"rolled_back", "promoted", "blocked", "failed"}, 90)

    def _deploy(self) -> int:
        before = scenario.rows(3000, seed=1)
        features = before[list(scenario.FEATURES)]
        with self.runs.start_run("loopml-demo", name="champion") as run:
            package = self.parts.models.log_model(run, scenario.fit(before), "model",
                                                  example=features.head(5))  # fmt: skip
        models = self.parts.models
        version = models.register_model(package, MODEL, "demo champion, fitted before the drift")
        models.set_alias(MODEL, "champion", version.version, reason="demo: first champion")
        clear_canary_share(models, MODEL, MODEL)  # a re-run after an interrupted canary
        monitors = self.parts.monitors
        if any(m.name == MODEL for m in monitors.list()):
            monitors.delete(MODEL)  # re-runs start from a clean monitor (no open alert)
        monitors.save(Monitor(MODEL, reference=features, window=f"{WINDOW_S}s",
                              rules=[Rule(DRIFT_RULE, severity="critical")]))  # fmt: skip
        self.loops.apply(demo_loop())
        self._event_cursor = max((e.id for e in self.loops.events(LOOP, limit=1)), default=0)
        self.summary.champion_before = version.version
        self.say(f"trained and registered {MODEL} v{version.version}; monitor {MODEL!r} "
                 f"({WINDOW_S} s windows, {DRIFT_RULE}) and loop 'demo' applied")  # fmt: skip
        return version.version

    def _clean_window(self, started: float) -> None:
        """Wait until the monitor's latest window began after this run's traffic did.

        The prediction log keeps earlier runs' traffic (drifted, at the end of a run); a
        scheduler started at once could judge a window that still holds it and fire
        before this run's drift. Waiting one window makes a re-run tell the same story.
        """
        step = WINDOW_S
        while (time.time() // step) * step - step < started:
            time.sleep(0.1)

    def _wait_alert(self, onset: float) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            opened = self.parts.monitors.alerts(MODEL, status="open")
            if opened:
                self.summary.detection_s = round(time.time() - onset, 2)
                self.say(f"alert {opened[0].id} opened after {self.summary.detection_s} s: "
                         f"{opened[0].message}")  # fmt: skip
                return
            time.sleep(0.2)
        raise TimeoutError("the monitor did not detect the drift within 60 s")

    def _wait_swap(self, built: Built, traffic: Traffic, onset: float) -> None:
        target = self.parts.models.resolve_alias(MODEL, "champion")
        failed_before = traffic.snapshot().failed
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = built.routes.primary.current
            if current is not None and current.version == target:
                self.summary.serving_s = round(time.time() - onset, 2)
                self.say(f"the server hot-swapped to v{target} {self.summary.serving_s} s after "
                         "the drift began")  # fmt: skip
                break
            time.sleep(0.05)
        time.sleep(1.0)
        self.summary.failed_during_swap = traffic.snapshot().failed - failed_before
        self.summary.champion_after = target

    def _register_by_hand(self, model: object, what: str) -> None:
        example = scenario.rows(5, drifted=True)[list(scenario.FEATURES)]
        with self.runs.start_run("loopml-demo", name="by-hand") as run:
            package = self.parts.models.log_model(run, model, "model", example=example)
        version = self.parts.models.register_model(package, MODEL, f"demo: {what}")
        self.say(f"someone registers v{version.version} by hand: {what}")

    def _totals(self, traffic: Traffic) -> None:
        stats = traffic.snapshot()
        s = self.summary
        s.requests, s.failed_requests = stats.requests, stats.failed
        quality = {k: v.accuracy for k, v in stats.phases.items()}
        s.quality_before, s.quality_during, s.quality_after = (
            _pct(quality.get("before")), _pct(quality.get("during")), _pct(quality.get("after"))
        )  # fmt: skip
        mine = [r for r in self.loops.runs(LOOP, limit=20) if r.created_at >= self.started_ms]
        s.promotions = sum(r.status == "PROMOTED" for r in mine)
        s.rollbacks = sum(r.status == "ROLLED_BACK" for r in mine)
        s.blocked_challengers = sum(r.status == "BLOCKED" for r in mine)
        s.look_next = [
            f"loopml loop show {LOOP}", f"loopml models show {MODEL}",
            f"loopml models history {MODEL}", f"loopml monitor report {MODEL}",
        ]  # fmt: skip


def demo_loop() -> Loop:
    """The loop the demo applies."""
    return Loop(
        LOOP, MODEL, pipeline="loopml.loop.demo.scenario:training", monitor=MODEL,
        triggers=[Trigger.alert(), Trigger.registry()],
        gates=[CompatibleSignature(), BeatsChampion(margin=-0.02, alpha=1.0, min_labels=60),
               MetricFloor("accuracy", min=0.8, min_labels=60),
               LatencyBudget(p95_ms=500, calls=20)],
        rollout=Rollout(canary_percent=30, duration="15s", min_requests=40, latency_margin_ms=120,
                        quality_margin=0.05, min_labels=40, min_latency_requests=15, poll_s=0.5),
        training=TrainingData(dataset="demo-training", min_labels=1000, holdout=0.3, window="2m",
                              after_trigger=True, wait="60s"),
        cooldown="0s", stale_after="15s",
    )  # fmt: skip


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


class _Server:
    """The deployment on uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, built: Built) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(built.app, host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on", access_log=False)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="loopml-demo-server",
                                       daemon=True)  # fmt: skip

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the demo model server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
