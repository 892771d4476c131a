"""Validation reports: which checks failed, on which columns and rows, how many (JSON-ready)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from loopml.data.errors import DataValidationError

#: How many failing row positions and values each check keeps as examples.
EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        check: what was checked (``not_null``, ``in_range``, ``allowed_values``,
            ``unique``, ``type``, ``column_present``, ``mean_between``...).
        column: the column, or ``None`` for table-level checks.
        passed: whether the check held.
        failed_count: rows that failed (for aggregate checks: 0 or 1).
        failed_fraction: ``failed_count`` over the rows checked.
        message: one human sentence: what was expected and what was found.
        failed_rows: positions (0-based row numbers) of the first failing rows.
        failed_values: the values at those rows.
        observed: for aggregate checks, the measured value.
        expected: the rule, as data (``{"min": 0, "max": 130}``...).
    """

    check: str
    column: str | None
    passed: bool
    failed_count: int = 0
    failed_fraction: float = 0.0
    message: str = ""
    failed_rows: tuple[int, ...] = ()
    failed_values: tuple[Any, ...] = ()
    observed: Any = None
    expected: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["failed_rows"] = list(self.failed_rows)
        out["failed_values"] = [_json_value(v) for v in self.failed_values]
        out["observed"] = _json_value(self.observed)
        out["expected"] = {k: _json_value(v) for k, v in self.expected.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Build a result from :meth:`to_dict` output."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["failed_rows"] = tuple(values.get("failed_rows", ()))
        values["failed_values"] = tuple(values.get("failed_values", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The result of validating a table against a schema: a verdict plus every check.

    Use it as a gate: ``if not report.passed: ...`` or ``report.raise_for_failures()``.
    """

    passed: bool
    num_rows: int
    checks: tuple[CheckResult, ...]
    failed_row_count: int = 0
    target: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.passed)

    @property
    def failed_columns(self) -> list[str]:
        """Columns with at least one failed check, in schema order."""
        seen: dict[str, None] = {}
        for check in self.failures:
            if check.column is not None:
                seen.setdefault(check.column, None)
        return list(seen)

    def summary(self, limit: int = 10) -> str:
        """A few lines for people: the verdict and the first failed checks."""
        head = f"{self.target or 'data'}: {len(self.checks)} checks on {self.num_rows} rows"
        if self.passed:
            return f"{head}: all passed"
        lines = [
            f"{head}: {len(self.failures)} failed, {self.failed_row_count} rows affected",
            *(f"  - {c.message}" for c in self.failures[:limit]),
        ]
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more")
        return "\n".join(lines)

    def raise_for_failures(self) -> ValidationReport:
        """Raise :class:`DataValidationError` (with this report) unless every check passed."""
        if not self.passed:
            raise DataValidationError(self.summary(), self)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``from_dict`` reads it back)."""
        return {
            "passed": self.passed,
            "num_rows": self.num_rows,
            "failed_row_count": self.failed_row_count,
            "target": self.target,
            "failed_columns": self.failed_columns,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """Build a report from :meth:`to_dict` output."""
        return cls(
            passed=bool(data["passed"]),
            num_rows=int(data["num_rows"]),
            checks=tuple(CheckResult.from_dict(c) for c in data["checks"]),
            failed_row_count=int(data.get("failed_row_count", 0)),
            target=data.get("target"),
        )

    def to_frame(self) -> Any:
        """One row per check, as a pandas DataFrame."""
        import pandas as pd

        columns = ["column", "check", "passed", "failed_count", "failed_fraction", "message"]
        return pd.DataFrame([{k: c.to_dict()[k] for k in columns} for c in self.checks])


def _json_value(value: Any) -> Any:
    """Make one value JSON-ready: NaN becomes ``None``, infinities and others strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item):
        return _json_value(item())
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)
