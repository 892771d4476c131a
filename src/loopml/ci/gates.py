"""The gates a challenger must pass: one list shared by the loop and by ``loopml ci``.

Each gate is a small object with a ``name``, ``check(context) -> GateResult`` and
``to_dict()`` (so gate lists live in ``loopml.yaml`` and in stored loops). Gates never
raise on a bad model: :func:`loopml.ci.evaluation.evaluate_gates` turns an exception
into a failed result with its traceback.

Example:
    >>> gates = [BeatsChampion(margin=0.01, min_labels=200), LatencyBudget(p95_ms=20)]
    >>> [g.name for g in gates]
    ['beats_champion', 'latency_p95']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from loopml.ci.behaviour import run_behaviour, test_name
from loopml.ci.stats import mcnemar, paired_bootstrap
from loopml.ci.verdicts import GateResult, too_few_labels
from loopml.data import Schema
from loopml.errors import InvalidInput
from loopml.monitoring.performance import REGRESSION, evaluate

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from loopml.ci.context import GateContext


class Gate(Protocol):
    """One check a challenger must pass."""

    name: str

    def check(self, ctx: GateContext) -> GateResult:
        """Judge the challenger in ``ctx``."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec (``type`` plus options)."""
        ...


def _score(ctx: GateContext, predictions: np.ndarray, metric: str) -> float:
    result = evaluate(ctx.labels(), predictions, task=ctx.resolved_task())  # type: ignore[arg-type]
    if metric not in result.metrics:
        raise InvalidInput(
            f"metric {metric!r} is not computed for {result.task}; "
            f"available: {sorted(result.metrics)}"
        )
    return float(result.metrics[metric])


def _lower_is_better(metric: str) -> bool:
    return (metric in REGRESSION and metric != "r2") or metric == "log_loss"


@dataclass
class DataValidation:
    """The new training set passes its dataset's schema (or ``schema``)."""

    schema: Schema | Mapping[str, Any] | None = None
    name: str = "data_validation"

    def check(self, ctx: GateContext) -> GateResult:
        """Validate the training set."""
        if ctx.validate_training is None:
            return GateResult(self.name, False, reason="no training dataset version to validate")
        schema = Schema.from_dict(dict(self.schema)) if isinstance(self.schema, dict) else None
        report = ctx.validate_training(schema or self.schema)
        failures = [
            {"check": f.check, "column": f.column, "message": f.message}
            for f in report.failures[:20]
        ]
        reason = "the training set passes its schema" if report.passed else (
            f"{len(report.failures)} schema check(s) failed, first: {failures[0]['message']}"
        )  # fmt: skip
        return GateResult(
            self.name, report.passed, float(len(report.failures)), 0.0,
            {"failures": failures, "checks": len(report.checks)}, reason,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        schema = self.schema.to_dict() if isinstance(self.schema, Schema) else self.schema
        return {"type": "data_validation", "schema": schema}


@dataclass
class BehaviouralTests:
    """User functions ``test(model)``: an ``assert`` (or returning ``False``) fails the gate.

    Tests are callables or ``"module:function"`` strings (invariance, directional and
    minimum-functionality tests written as plain Python).
    """

    tests: Sequence[Callable[[Any], object] | str] = ()
    name: str = "behaviour"

    def check(self, ctx: GateContext) -> GateResult:
        """Run every test against the challenger."""
        cases = [run_behaviour(test, ctx.challenger) for test in self.tests]
        failed = [c for c in cases if not c["passed"]]
        reason = (
            f"{len(cases)} behavioural tests passed"
            if not failed
            else f"{len(failed)} of {len(cases)} failed, first {failed[0]['test']}: "
            f"{failed[0]['message']}"
        )
        return GateResult(self.name, not failed, float(len(failed)), 0.0, {"tests": cases}, reason)

    def to_dict(self) -> dict[str, Any]:
        """Spec (callables by their import path)."""
        return {"type": "behaviour", "tests": [test_name(t) for t in self.tests]}


@dataclass
class MetricFloor:
    """The challenger's metric on the labelled window is at least ``min`` / at most ``max``."""

    metric: str = "accuracy"
    min: float | None = None
    max: float | None = None
    min_labels: int = 200
    name: str = ""

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise InvalidInput(f"metric floor on {self.metric!r} needs min= or max=")
        self.name = self.name or f"metric_{self.metric}"

    def check(self, ctx: GateContext) -> GateResult:
        """Score the challenger on the labelled window."""
        threshold = self.min if self.min is not None else self.max
        blocked = too_few_labels(ctx.labelled, self.min_labels)
        if blocked:
            return GateResult(
                self.name, False, None, threshold, {"labelled": ctx.labelled}, blocked
            )
        value = _score(ctx, ctx.predictions("challenger"), self.metric)
        ok = (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        word = ">=" if self.min is not None else "<="
        reason = f"{self.metric} {value:.4f} {'meets' if ok else 'misses'} {word} {threshold}"
        return GateResult(self.name, ok, value, threshold, {"labelled": ctx.labelled}, reason)

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        return {"type": "metric_floor", "metric": self.metric, "min": self.min,
                "max": self.max, "min_labels": self.min_labels}  # fmt: skip


@dataclass
class BeatsChampion:
    """The challenger beats the champion on the same labelled rows by ``margin``.

    McNemar's exact test for classification (margin in accuracy points), a paired
    bootstrap of absolute errors for regression (margin in error units). ``alpha`` is the
    significance asked of the improvement (1.0: the observed difference is enough). A
    negative margin tolerates that much loss (non-inferiority).
    """

    margin: float = 0.0
    alpha: float = 0.05
    min_labels: int = 200
    name: str = "beats_champion"

    def check(self, ctx: GateContext) -> GateResult:
        """Compare challenger and champion on the labelled window."""
        if ctx.champion is None:
            return GateResult(self.name, True, None, self.margin, {}, "no champion yet to beat")
        blocked = too_few_labels(ctx.labelled, self.min_labels)
        if blocked:
            return GateResult(
                self.name, False, None, self.margin, {"labelled": ctx.labelled}, blocked
            )
        y = ctx.labels()
        new, old = ctx.predictions("challenger"), ctx.predictions("champion")
        if ctx.resolved_task() == "classification":
            result = mcnemar(_same(old, y), _same(new, y), margin=self.margin)
        else:
            y_f = y.astype(np.float64)
            result = paired_bootstrap(
                old.astype(np.float64) - y_f, new.astype(np.float64) - y_f, margin=self.margin
            )
        ok = result.not_worse(self.alpha) if self.margin < 0 else result.beats(self.alpha)
        evidence = {**result.to_dict(), "alpha": self.alpha,
                    "champion_version": ctx.champion.version}  # fmt: skip
        reason = (
            f"{result.test}: challenger {result.challenger:.4f} vs champion "
            f"{result.champion:.4f} on {result.n} rows (difference {result.difference:+.4f}, "
            f"margin {self.margin}, p={result.p_value:.3g})"
        )
        return GateResult(self.name, ok, result.difference, self.margin, evidence, reason)

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        return {"type": "beats_champion", "margin": self.margin, "alpha": self.alpha,
                "min_labels": self.min_labels}  # fmt: skip


def _same(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Row-wise equality; numbers compare as numbers (a label 1.0 equals a prediction 1)."""
    try:
        same: np.ndarray = np.asarray(predictions, dtype=np.float64) == np.asarray(
            labels, dtype=np.float64
        )
        return same
    except (TypeError, ValueError):
        return np.asarray([str(p) == str(y) for p, y in zip(predictions, labels, strict=True)])


@dataclass
class SliceFloor:
    """Every slice of ``column`` with enough rows keeps ``metric`` at or above ``floor``.

    Text columns slice by value; numeric columns by ``bins`` quantile bins.
    """

    column: str
    floor: float
    metric: str = "accuracy"
    min_rows: int = 30
    bins: int = 4
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"slice_{self.column}"

    def check(self, ctx: GateContext) -> GateResult:
        """Score the challenger per slice."""
        if ctx.evaluation is None or self.column not in ctx.evaluation.columns:
            have = [] if ctx.evaluation is None else list(ctx.evaluation.columns)
            return GateResult(self.name, False, None, self.floor, {"columns": have},
                              f"no column {self.column!r} in the labelled window")  # fmt: skip
        keys = self._slices(ctx.evaluation[self.column])
        predictions, labels = ctx.predictions("challenger"), ctx.labels()
        slices, worst = [], None
        for key in sorted(set(keys), key=str):
            mask = keys == key
            if int(mask.sum()) < self.min_rows:
                continue
            result = evaluate(labels[mask], predictions[mask], task=ctx.resolved_task())  # type: ignore[arg-type]
            value = float(result.metrics.get(self.metric, float("nan")))
            slices.append({"slice": str(key), "rows": int(mask.sum()), self.metric: value})
            if worst is None or value < worst[1]:
                worst = (str(key), value)
        if worst is None:
            why = f"no slice of {self.column!r} has {self.min_rows} labelled rows"
            return GateResult(self.name, False, None, self.floor, {"slices": []}, why)
        ok = worst[1] >= self.floor
        reason = f"worst slice {self.column}={worst[0]}: {self.metric} {worst[1]:.4f}"
        return GateResult(self.name, ok, worst[1], self.floor, {"slices": slices}, reason)

    def _slices(self, values: Any) -> np.ndarray:
        import pandas as pd

        if pd.api.types.is_numeric_dtype(values) and values.nunique() > self.bins:
            return np.asarray(pd.qcut(values, self.bins, duplicates="drop").astype(str))
        return np.asarray(values.astype(str))

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        return {"type": "slice_floor", "column": self.column, "floor": self.floor,
                "metric": self.metric, "min_rows": self.min_rows, "bins": self.bins}  # fmt: skip


@dataclass
class LatencyBudget:
    """p95 latency of one-row predictions of the freshly loaded package is within budget.

    After a few warm-up calls, ``calls`` single-row predictions are timed; a round whose
    p95 is over budget is timed again, up to ``rounds`` rounds, and the gate passes when one
    round is within budget. A model that is slow fails every round; a round disturbed by a
    busy machine (another process taking the CPU) does not fail the gate on its own.
    """

    p95_ms: float = 50.0
    calls: int = 200
    rounds: int = 3
    name: str = "latency_p95"

    def __post_init__(self) -> None:
        if self.calls < 1 or self.rounds < 1:
            raise InvalidInput(
                f"the latency gate needs calls >= 1 and rounds >= 1, not {self.calls}, "
                f"{self.rounds}"
            )

    def check(self, ctx: GateContext) -> GateResult:
        """Load the package anew and time single-row predictions (see the class doc)."""
        started = time.perf_counter()
        model = ctx.load_fresh() if ctx.load_fresh is not None else ctx.challenger
        load_s = time.perf_counter() - started
        rows = _sample_rows(ctx)
        for i in range(min(5, self.calls)):  # first calls fill caches; not what serving sees
            model.predict(rows.iloc[[i % len(rows)]])
        p95s: list[float] = []
        times: list[float] = []
        while len(p95s) < self.rounds and (not p95s or p95s[-1] > self.p95_ms):
            times = []
            for i in range(self.calls):
                row = rows.iloc[[i % len(rows)]]
                t0 = time.perf_counter()
                model.predict(row)
                times.append((time.perf_counter() - t0) * 1000)
            p95s.append(float(np.percentile(times, 95)))
        p95 = min(p95s)
        ok = p95 <= self.p95_ms
        evidence = {"p50_ms": float(np.percentile(times, 50)), "p95_ms": p95,
                    "round_p95_ms": p95s, "calls": self.calls, "load_s": load_s}  # fmt: skip
        reason = f"p95 {p95:.2f} ms {'within' if ok else 'over'} the {self.p95_ms} ms budget"
        if len(p95s) > 1:
            reason += f" (best of {len(p95s)} rounds)"
        return GateResult(self.name, ok, p95, self.p95_ms, evidence, reason)

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        return {"type": "latency", "p95_ms": self.p95_ms, "calls": self.calls,
                "rounds": self.rounds}  # fmt: skip


def _sample_rows(ctx: GateContext) -> Any:
    if ctx.evaluation is not None and len(ctx.evaluation):
        return ctx.inputs().head(50)
    signature = ctx.challenger.signature
    if signature is None:
        raise InvalidInput("the latency gate needs labelled rows or a model signature")
    import pandas as pd

    return pd.DataFrame({c.name: np.zeros(1, dtype=c.numpy_dtype) for c in signature.inputs})


@dataclass
class CompatibleSignature:
    """The challenger accepts every input column of the champion, with the same types."""

    name: str = "signature"
    allow_new_inputs: bool = False
    extra: list[str] = field(default_factory=list)

    def check(self, ctx: GateContext) -> GateResult:
        """Compare the two signatures."""
        new = ctx.challenger.signature
        if ctx.champion is None:
            return GateResult(
                self.name, True, None, None, {}, "no champion to stay compatible with"
            )
        old = ctx.champion.signature
        if old is None:
            return GateResult(self.name, False, None, None, {},
                              "the champion has no signature to compare with")  # fmt: skip
        if new is None:
            return self._probe(ctx, old)
        old_inputs = {c.name: c.dtype for c in old.inputs}
        new_inputs = {c.name: c.dtype for c in new.inputs}
        problems = [f"missing input {n!r}" for n in old_inputs if n not in new_inputs]
        problems += [
            f"input {n!r} changed from {t} to {new_inputs[n]}"
            for n, t in old_inputs.items() if n in new_inputs and new_inputs[n] != t
        ]  # fmt: skip
        added = [n for n in new_inputs if n not in old_inputs]
        if added and not self.allow_new_inputs:
            problems.append(f"new required inputs {added} (callers do not send them)")
        evidence = {"champion": old.to_dict(), "challenger": new.to_dict(), "problems": problems}
        reason = "signatures are compatible" if not problems else "; ".join(problems)
        return GateResult(self.name, not problems, float(len(problems)), 0.0, evidence, reason)

    def _probe(self, ctx: GateContext, old: Any) -> GateResult:
        """No recorded signature: the challenger must score rows shaped like the champion's."""
        import pandas as pd

        if ctx.evaluation is not None and len(ctx.evaluation):
            rows = ctx.inputs().head(5)[old.input_names]
        else:
            rows = pd.DataFrame({c.name: np.zeros(2, dtype=c.numpy_dtype) for c in old.inputs})
        try:
            out = np.asarray(ctx.challenger.predict(rows))
        except Exception as err:
            why = f"the challenger has no signature and fails on the champion's inputs: {err}"
            return GateResult(self.name, False, 1.0, 0.0, {"champion": old.to_dict()}, why)
        ok = len(out) == len(rows)
        why = (
            "no recorded signature; the challenger scores rows with the champion's inputs"
            if ok else f"the challenger answered {len(out)} predictions for {len(rows)} rows"
        )  # fmt: skip
        return GateResult(self.name, ok, 0.0 if ok else 1.0, 0.0, {"champion": old.to_dict()}, why)

    def to_dict(self) -> dict[str, Any]:
        """Spec."""
        return {"type": "signature", "allow_new_inputs": self.allow_new_inputs}


_TYPES: dict[str, type[Any]] = {
    "data_validation": DataValidation,
    "behaviour": BehaviouralTests,
    "metric_floor": MetricFloor,
    "beats_champion": BeatsChampion,
    "slice_floor": SliceFloor,
    "latency": LatencyBudget,
    "signature": CompatibleSignature,
}


def gate_from_dict(spec: Mapping[str, Any]) -> Gate:
    """Build a gate from its spec (``{"type": "beats_champion", "margin": 0.01}``).

    Raises:
        InvalidInput: unknown type or options.
    """
    data = dict(spec)
    kind = data.pop("type", None)
    if kind not in _TYPES:
        raise InvalidInput(f"unknown gate type {kind!r}; use one of {sorted(_TYPES)}")
    try:
        gate: Gate = _TYPES[kind](**data)
    except TypeError as err:
        raise InvalidInput(f"cannot build gate {kind!r} from {data}: {err}") from err
    return gate


def gates_from(values: Sequence[Gate | Mapping[str, Any]]) -> list[Gate]:
    """Normalise a list of gates and gate specs."""
    return [gate_from_dict(v) if isinstance(v, dict) else v for v in values]  # type: ignore[misc]


def default_gates() -> list[Gate]:
    """The gates used when none are given: signature, beats the champion, latency."""
    return [CompatibleSignature(), BeatsChampion(), LatencyBudget()]
