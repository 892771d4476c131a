"""Gate results and verdicts: plain data, JSON round-trips, and the promotion decision.

A :class:`GateResult` says whether one gate passed, the value it measured, the threshold
it compared against and its evidence. A :class:`Verdict` is the list of them for one
model version; it passes only when every gate passed (a gate that raised, or that had
too few labels to judge, failed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from loopml.ci import reports


@dataclass(frozen=True, slots=True)
class GateResult:
    """The outcome of one gate on one model version.

    Attributes:
        gate: the gate's name (``beats_champion``, ``latency_p95``...).
        passed: whether it passed.
        value: what it measured (``None`` when it could not measure).
        threshold: what the value was compared with.
        evidence: JSON-ready details (counts, p-values, failing cases, slices).
        reason: one sentence saying why it passed or failed.
        error: the traceback when the gate itself raised.
        seconds: how long it took.
    """

    gate: str
    passed: bool
    value: float | str | None = None
    threshold: float | str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """Inverse of :meth:`to_dict`."""
        values: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every gate's result for one model version.

    Attributes:
        model: the registered model.
        version: the version judged.
        results: one result per gate, in gate order.
        source: who asked (``loop:churn``, ``ci``...).
        created_at: epoch milliseconds.
        context: JSON-ready facts (champion version, labelled rows, dataset).
        id: the stored verdict's id (``None`` until stored).
    """

    model: str
    version: int | None
    results: tuple[GateResult, ...]
    source: str = "ci"
    created_at: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    @property
    def passed(self) -> bool:
        """Whether every gate passed (an empty gate list passes)."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[GateResult]:
        """The gates that failed."""
        return [r for r in self.results if not r.passed]

    @property
    def created(self) -> dt.datetime:
        """``created_at`` as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.created_at / 1000, tz=dt.UTC)

    def summary(self) -> str:
        """One line: passed, or which gates failed and why."""
        if self.passed:
            return f"all {len(self.results)} gates passed"
        reasons = "; ".join(f"{r.gate}: {r.reason}" for r in self.failed)
        return f"{len(self.failed)} of {len(self.results)} gates failed ({reasons})"

    def to_junit(self) -> str:
        """The verdict as JUnit XML (one test case per gate)."""
        return reports.junit_xml(self)

    def to_markdown(self) -> str:
        """The verdict as Markdown (for a pull-request comment)."""
        return reports.markdown(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "passed": self.passed,
            "source": self.source,
            "created_at": self.created_at,
            "summary": self.summary(),
            "context": self.context,
            "results": [r.to_dict() for r in self.results],
        }


def too_few_labels(have: int, need: int) -> str | None:
    """The blocking reason when ``have`` labelled rows are fewer than ``need``, else ``None``.

    Example:
        >>> too_few_labels(37, 200)
        '37 labels, need 200'
    """
    if have < need:
        return f"{have} labels, need {need}"
    return None
