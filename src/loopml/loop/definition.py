"""``lm.Loop``: the declarative closed loop (plain data, no I/O).

A loop binds a deployment (model name + alias) to its monitor, a training pipeline, the
gates a challenger must pass and a rollout policy; triggers say when it fires.

Example:
    >>> loop = Loop("churn", model="churn", pipeline="train_churn", monitor="churn",
    ...             triggers=[Trigger.alert(rule="drift.share > 0.3")],
    ...             rollout=Rollout(canary_percent=10, duration="5m"))
    >>> loop.to_dict()["triggers"][0]["type"]
    'alert'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from loopml._utils.clock import parse_duration
from loopml.ci.gates import Gate, default_gates, gates_from
from loopml.errors import InvalidInput
from loopml.pipelines import schedules

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
TriggerKind = Literal["alert", "performance", "schedule", "dataset", "registry"]
KINDS: tuple[str, ...] = ("alert", "performance", "schedule", "dataset", "registry")


def duration(value: str | float | dt.timedelta, what: str) -> dt.timedelta:
    """Parse a duration (``"10m"``, seconds, a timedelta); it must not be negative."""
    try:
        parsed = parse_duration(value)
    except ValueError as err:
        raise InvalidInput(f"{what}: {err}") from err
    if parsed.total_seconds() < 0:
        raise InvalidInput(f"{what} must not be negative, not {value!r}")
    return parsed


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a loop fires (manual and HTTP triggers need no declaration).

    Build one with :meth:`alert`, :meth:`performance`, :meth:`schedule`,
    :meth:`dataset` or :meth:`registry`.
    """

    type: TriggerKind
    monitor: str | None = None
    rule: str | None = None
    metric: str = "accuracy"
    floor: float | None = None
    last_n: int = 200
    lookback: str = "1d"
    cron: str | None = None
    dataset: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.type not in KINDS:
            raise InvalidInput(f"trigger type {self.type!r} must be one of {KINDS}")
        if self.type == "performance" and self.floor is None:
            raise InvalidInput("a performance trigger needs floor= (for example 0.8)")
        if self.type == "performance" and self.last_n < 1:
            raise InvalidInput(f"last_n must be at least 1, not {self.last_n}")
        if self.type == "schedule":
            if not self.cron:
                raise InvalidInput("a schedule trigger needs cron= ('0 3 * * *')")
            schedules.check(self.cron)
        if self.type == "dataset" and not self.dataset:
            raise InvalidInput("a dataset trigger needs dataset= (the dataset name)")

    @classmethod
    def alert(cls, monitor: str | None = None, rule: str | None = None) -> Trigger:
        """Fire when an alert opens on the loop's monitor (or ``monitor``), for ``rule`` or any.

        Rules are the monitor's: ``drift.share > 0.3`` (share of drifted columns),
        ``drift.age.drifted > 0`` (one column), ``performance.accuracy < 0.8``...
        """
        return cls("alert", monitor=monitor, rule=rule)

    @classmethod
    def performance(
        cls, metric: str = "accuracy", floor: float = 0.8, last_n: int = 200, lookback: str = "1d"
    ) -> Trigger:
        """Fire when ``metric`` on the last ``last_n`` labelled predictions is below ``floor``.

        For error metrics (``mae``, ``rmse``, ``log_loss``) it fires above ``floor``. Only
        predictions of the last ``lookback`` are read, and only when new labels arrived.
        """
        return cls("performance", metric=metric, floor=floor, last_n=last_n, lookback=lookback)

    @classmethod
    def schedule(cls, cron: str) -> Trigger:
        """Fire at each tick of a cron schedule (UTC)."""
        return cls("schedule", cron=cron)

    @classmethod
    def new_dataset(cls, dataset: str) -> Trigger:
        """Fire when a new version of ``dataset`` is logged."""
        return cls("dataset", dataset=dataset)

    @classmethod
    def registry(cls, model: str | None = None) -> Trigger:
        """Fire when a version of ``model`` (default: the loop's) is registered by hand.

        For the loop's own model the new version is the challenger (no training).
        """
        return cls("registry", model=model)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec with only the fields that matter for the type."""
        keep = {
            "alert": ("monitor", "rule"),
            "performance": ("metric", "floor", "last_n", "lookback"),
            "schedule": ("cron",),
            "dataset": ("dataset",),
            "registry": ("model",),
        }[self.type]
        return {"type": self.type, **{k: getattr(self, k) for k in keep}}

    @classmethod
    def from_value(cls, value: Trigger | str | Mapping[str, Any]) -> Trigger:
        """Build from a trigger, a type name (``"alert"``) or a spec mapping."""
        if isinstance(value, Trigger):
            return value
        data: dict[str, Any] = {"type": value} if isinstance(value, str) else dict(value)
        try:
            return cls(**data)
        except TypeError as err:
            raise InvalidInput(f"cannot build a trigger from {data!r}: {err}") from err


@dataclass(frozen=True, slots=True)
class Rollout:
    """How a challenger that passed its gates reaches traffic.

    Args:
        canary_percent: share of traffic for the canary (0: promote at once). The loop
            points ``canary_alias`` at the challenger and sets this share on the running
            deployment; its servers pick it up at their next alias poll (like a hot swap)
            and drop the canary route when the canary ends. A server started with
            ``--canary`` keeps its own fixed route instead.
        duration: how long the canary runs before promotion.
        min_requests: promote as soon as the canary answered this many requests.
        max_error_rate_increase: roll back when the canary's error rate exceeds the
            champion's by more (read from ``servers``' /metrics).
        latency_margin_ms: roll back when the canary's p95 latency exceeds the
            champion's by more.
        quality_margin: roll back when the canary's labelled quality (accuracy, or
            minus the mean absolute error) is worse than the champion's by more.
        min_labels: labelled canary rows needed to judge quality at all.
        min_latency_requests: canary requests needed to judge latency.
        servers: model-server base URLs whose /metrics give error rates.
        canary_alias: the alias the canary route follows.
        poll_s: seconds between canary checks.
    """

    canary_percent: float = 0.0
    duration: dt.timedelta | str | float = dt.timedelta(minutes=10)
    min_requests: int | None = None
    max_error_rate_increase: float = 0.01
    latency_margin_ms: float = 50.0
    quality_margin: float = 0.02
    min_labels: int = 30
    min_latency_requests: int = 20
    servers: tuple[str, ...] = ()
    canary_alias: str = "challenger"
    poll_s: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.canary_percent <= 100.0:
            raise InvalidInput(f"canary_percent must be 0..100, not {self.canary_percent}")
        object.__setattr__(self, "duration", duration(self.duration, "canary duration"))
        object.__setattr__(self, "servers", tuple(s.rstrip("/") for s in self.servers))
        if self.min_requests is not None and self.min_requests < 1:
            raise InvalidInput(f"min_requests must be at least 1, not {self.min_requests}")

    @property
    def duration_s(self) -> float:
        """The canary duration in seconds."""
        return duration(self.duration, "canary duration").total_seconds()

    @property
    def has_canary(self) -> bool:
        """Whether a canary phase comes before promotion."""
        return self.canary_percent > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["duration"] = f"{self.duration_s:g}s"
        out["servers"] = list(self.servers)
        return out

    @classmethod
    def from_value(cls, value: Rollout | Mapping[str, Any] | None) -> Rollout:
        """Build from a policy, a spec mapping or ``None`` (promote at once)."""
        if value is None:
            return cls()
        if isinstance(value, Rollout):
            return value
        try:
            return cls(**dict(value))
        except TypeError as err:
            raise InvalidInput(
                f"cannot build a rollout policy from {dict(value)!r}: {err}"
            ) from err


@dataclass(frozen=True, slots=True)
class TrainingData:
    """How the loop builds a retraining set from the labelled prediction log.

    Args:
        dataset: the dataset the training set is logged as (default ``<loop>-training``).
        window: how far back predictions are taken.
        holdout: the newest share of labelled rows kept out of training: the gates
            judge challenger and champion on it.
        min_labels: labelled predictions needed to retrain at all.
        base: a dataset version (``"name@latest"``) whose rows are added to training.
        label: the label column's name in the training set.
        param: the pipeline parameter that receives ``"dataset@version"``.
        features: point-in-time features to join (``"view:feature"``), keyed by
            ``entity`` as of each prediction's time.
        entity: the input column holding the entity key for ``features``.
        after_trigger: take only predictions made after the loop fired (data of the new
            regime), waiting up to ``wait`` for ``min_labels`` of them to be labelled.
        wait: how long to wait for enough labels before blocking the run.
    """

    dataset: str | None = None
    window: dt.timedelta | str | float = dt.timedelta(days=1)
    holdout: float = 0.3
    min_labels: int = 200
    base: str | None = None
    label: str = "label"
    param: str = "data"
    features: tuple[str, ...] = ()
    entity: str | None = None
    after_trigger: bool = False
    wait: dt.timedelta | str | float = dt.timedelta(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", duration(self.window, "training window"))
        if not 0.0 < self.holdout < 1.0:
            raise InvalidInput(f"holdout must be between 0 and 1, not {self.holdout}")
        object.__setattr__(self, "features", tuple(self.features))
        if self.features and not self.entity:
            raise InvalidInput("point-in-time features need entity= (the key input column)")

    @property
    def span(self) -> dt.timedelta:
        """The window as a timedelta."""
        return duration(self.window, "training window")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["window"] = f"{self.span.total_seconds():g}s"
        out["features"] = list(self.features)
        out["wait"] = f"{self.wait_s:g}s"
        return out

    @property
    def wait_s(self) -> float:
        """``wait`` in seconds."""
        return duration(self.wait, "training wait").total_seconds()

    @classmethod
    def from_value(cls, value: TrainingData | Mapping[str, Any] | None) -> TrainingData:
        """Build from a spec, a mapping, or ``None`` (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, TrainingData):
            return value
        try:
            return cls(**dict(value))
        except TypeError as err:
            raise InvalidInput(f"cannot build training data from {dict(value)!r}: {err}") from err


@dataclass
class Loop:
    """A closed loop: watch a deployment, retrain, judge, roll out, roll back.

    Args:
        name: the loop's name.
        model: the registered model the deployment serves.
        pipeline: the training pipeline (a registered name or ``module:name``); it gets
            the training set as ``"dataset@version"`` in ``training.param`` and returns a
            fitted model (or a dict with a ``model`` entry).
        alias: the alias that serves (``champion``).
        deployment: the prediction log to read (default: the model name).
        monitor: the monitor whose alerts fire the loop and whose reference follows
            the champion.
        triggers: when to fire (:class:`Trigger`, type names or spec mappings).
        gates: what a challenger must pass (default: signature, beats champion, latency).
        rollout: the rollout policy.
        training: how the retraining set is built from the labelled prediction log
            (``False``: the pipeline loads its own data).
        params: more pipeline parameters.
        cooldown: shortest time between two runs' starts.
        stale_after: a run whose heartbeat is older than this is taken over.
    """

    name: str
    model: str
    pipeline: str | None = None
    alias: str = "champion"
    deployment: str | None = None
    monitor: str | None = None
    triggers: Sequence[Trigger | str | Mapping[str, Any]] = ()
    gates: Sequence[Gate | Mapping[str, Any]] | None = None
    rollout: Rollout | Mapping[str, Any] | None = None
    training: TrainingData | Mapping[str, Any] | bool | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    cooldown: dt.timedelta | str | float = dt.timedelta(minutes=10)
    stale_after: dt.timedelta | str | float = dt.timedelta(seconds=60)

    def __post_init__(self) -> None:
        check_name(self.name)
        self.deployment = self.deployment or self.model
        self.triggers = [Trigger.from_value(t) for t in self.triggers]
        self.gates = gates_from(self.gates) if self.gates is not None else default_gates()
        self.rollout = Rollout.from_value(self.rollout)
        self.training = (
            None if self.training is False else TrainingData.from_value(_spec(self.training))
        )
        self.params = dict(self.params)
        self.cooldown = duration(self.cooldown, "cooldown")
        self.stale_after = duration(self.stale_after, "stale_after")
        if any(t.type == "alert" for t in self.trigger_list) and not (
            self.monitor or all(t.monitor for t in self.trigger_list if t.type == "alert")
        ):
            raise InvalidInput(f"loop {self.name!r} has an alert trigger but no monitor=")

    @property
    def trigger_list(self) -> list[Trigger]:
        """The triggers, normalised."""
        return [Trigger.from_value(t) for t in self.triggers]

    @property
    def gate_list(self) -> list[Gate]:
        """The gates, normalised."""
        return gates_from(self.gates or [])

    @property
    def policy(self) -> Rollout:
        """The rollout policy, normalised."""
        return Rollout.from_value(self.rollout)

    @property
    def data(self) -> TrainingData:
        """The training-data spec, normalised."""
        return TrainingData.from_value(_spec(self.training))

    @property
    def training_dataset(self) -> str:
        """The dataset name training sets are logged as."""
        return self.data.dataset or f"{self.name}-training"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec (what ``loopml.yaml`` holds and what is stored)."""
        cooldown = self.cooldown if isinstance(self.cooldown, dt.timedelta) else None
        stale = self.stale_after if isinstance(self.stale_after, dt.timedelta) else None
        return {
            "name": self.name,
            "model": self.model,
            "pipeline": self.pipeline,
            "alias": self.alias,
            "deployment": self.deployment,
            "monitor": self.monitor,
            "triggers": [t.to_dict() for t in self.trigger_list],
            "gates": [g.to_dict() for g in self.gate_list],
            "rollout": self.policy.to_dict(),
            "training": False if self.training is None else self.data.to_dict(),
            "params": dict(self.params),
            "cooldown": f"{cooldown.total_seconds():g}s" if cooldown is not None else self.cooldown,
            "stale_after": f"{stale.total_seconds():g}s" if stale is not None else self.stale_after,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Loop:
        """Build from :meth:`to_dict` output or a ``loopml.yaml`` ``loops:`` entry.

        Raises:
            InvalidInput: unknown keys or bad values (the message names them).
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(
                f"unknown loop option(s) {unknown} in loop {data.get('name')!r}; "
                f"known: {sorted(known)}"
            )
        if "name" not in data or "model" not in data:
            raise InvalidInput(f"a loop needs 'name' and 'model', got {sorted(data)}")
        return cls(**dict(data))


def check_name(name: str) -> None:
    """Raise :class:`InvalidInput` unless ``name`` is a valid loop name."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"loop name {name!r} must start with a letter or digit and use only letters, "
            "digits, '_', '.' and '-' (at most 128 characters)"
        )


def _spec(value: Any) -> Any:
    return None if value is True else value
