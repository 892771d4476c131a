"""Alert rules: ``"<metric> <op> <threshold>"`` over the flat metrics of a window (pure).

A window's metrics are a flat mapping such as ``drift.share``, ``drift.age.drifted``,
``drift.age.psi``, ``performance.accuracy``, ``quality.missing_rate.age``. A rule names one
metric, or several with ``*`` (``quality.missing_rate.*``: breached when any matches).

Example:
    >>> rule = Rule("drift.share > 0.3", severity="critical")
    >>> rule.evaluate({"drift.share": 0.5}).breached
    True
"""

from __future__ import annotations

import fnmatch
import math
import operator
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_EXPR = re.compile(rf"^\s*([A-Za-z_*][^<>=!]*?)\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*$")


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """How one rule fared on one window.

    ``state`` is ``breached``, ``ok``, or ``no_data`` (no matching metric had a value:
    for example no labels yet); ``no_data`` leaves an open alert as it is.
    """

    rule: str
    state: Literal["breached", "ok", "no_data"]
    value: float | None
    matches: tuple[str, ...] = ()

    @property
    def breached(self) -> bool:
        """Whether the rule is breached on this window."""
        return self.state == "breached"


@dataclass(frozen=True, slots=True)
class Rule:
    """A condition on a window's metrics that raises an alert while it holds.

    Args:
        expr: ``"<metric> <op> <threshold>"``, op one of ``> >= < <= == !=``; the metric may
            hold ``*`` wildcards.
        severity: ``info``, ``warning`` or ``critical``.
        for_windows: consecutive breached windows needed before the alert opens (debounce).
        name: a stable name for the alert (default: ``expr``).
        min_labelled: for ``performance.*`` rules, fewest labelled samples to judge at all.

    Raises:
        InvalidInput: the expression or an option is malformed.
    """

    expr: str
    severity: Severity = "warning"
    for_windows: int = 1
    name: str = ""
    min_labelled: int = 0
    metric: str = field(init=False, default="")
    op: str = field(init=False, default="")
    threshold: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        match = _EXPR.match(self.expr)
        if match is None:
            raise InvalidInput(
                f"cannot read rule {self.expr!r}; write '<metric> <op> <number>', for example "
                "'drift.share > 0.3' or 'performance.accuracy < 0.8'"
            )
        if self.severity not in SEVERITIES:
            raise InvalidInput(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.for_windows < 1:
            raise InvalidInput(f"for_windows must be at least 1, not {self.for_windows}")
        object.__setattr__(self, "metric", match.group(1))
        object.__setattr__(self, "op", match.group(2))
        object.__setattr__(self, "threshold", float(match.group(3)))
        if not self.name:
            object.__setattr__(self, "name", f"{self.metric} {self.op} {match.group(3)}")

    def evaluate(self, metrics: Mapping[str, float | None]) -> RuleOutcome:
        """Return the outcome of this rule on one window's metrics."""
        if self.min_labelled and self.metric.startswith("performance."):
            labelled = metrics.get("performance.labelled") or 0
            if labelled < self.min_labelled:
                return RuleOutcome(self.name, "no_data", None)
        found = self._values(metrics)
        if not found:
            return RuleOutcome(self.name, "no_data", None)
        compare = _OPS[self.op]
        hits = [(k, v) for k, v in found if compare(v, self.threshold)]
        if not hits:
            worst = max(found, key=lambda kv: self._badness(kv[1]))
            return RuleOutcome(self.name, "ok", worst[1])
        worst = max(hits, key=lambda kv: self._badness(kv[1]))
        return RuleOutcome(self.name, "breached", worst[1], tuple(k for k, _ in hits))

    def _values(self, metrics: Mapping[str, float | None]) -> list[tuple[str, float]]:
        if "*" in self.metric:
            keys = sorted(k for k in metrics if fnmatch.fnmatchcase(k, self.metric))
        else:
            keys = [self.metric] if self.metric in metrics else []
        out = []
        for key in keys:
            value = metrics[key]
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                out.append((key, float(value)))
        return out

    def _badness(self, value: float) -> float:
        return -value if self.op in ("<", "<=") else value

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-ready values."""
        return {
            "expr": self.expr,
            "severity": self.severity,
            "for_windows": self.for_windows,
            "name": self.name,
            "min_labelled": self.min_labelled,
        }

    @classmethod
    def from_value(cls, value: Rule | str | Mapping[str, Any]) -> Rule:
        """Build a rule from a :class:`Rule`, an expression, or a :meth:`to_dict` mapping.

        An expression may end in ``:severity`` (``"drift.share > 0.3:critical"``).
        """
        if isinstance(value, Rule):
            return value
        if isinstance(value, str):
            expr, _, severity = value.rpartition(":") if _has_severity(value) else (value, "", "")
            return cls(expr, severity=severity or "warning")  # type: ignore[arg-type]
        try:
            return cls(**dict(value))
        except TypeError as err:
            raise InvalidInput(f"cannot build a rule from {dict(value)!r}: {err}") from err


def _has_severity(text: str) -> bool:
    return any(text.rstrip().endswith(f":{s}") for s in SEVERITIES)


def confirmed(history: Sequence[bool], for_windows: int) -> bool:
    """Whether the last ``for_windows`` entries of ``history`` (oldest first) are all true."""
    return len(history) >= for_windows and all(history[-for_windows:])
