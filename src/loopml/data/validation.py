"""Check a table against a :class:`~loopml.data.schema.Schema` and report every failure.

Three kinds of checks, all vectorised:

* structure (columns present, no extra columns when strict, declared types): from the
  Arrow schema;
* row rules (nulls, ranges, categories, patterns, lengths, uniqueness): compiled to a
  pandera ``DataFrameSchema`` and run lazily, so every failure is collected; pandera's
  failure cases become per-check counts with example rows; unique column combinations
  use ``DataFrame.duplicated``;
* expectations (row count, null share, mean, std, quantiles, distinct values...): read
  from the table's profile, so a stored dataset version needs no scan for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from loopml.data.digest import column_type
from loopml.data.profiling import profile_table
from loopml.data.reports import EXAMPLES, CheckResult, ValidationReport
from loopml.data.sources import to_table
from loopml.data.types import matches_type
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from loopml.data.profiles import DatasetProfile
    from loopml.data.schema import ColumnSchema, Expectation, Schema

#: pandera's names for its built-in column checks -> ours
_BUILTIN = {"not_nullable": "not_null", "field_uniqueness": "unique"}


@dataclass(slots=True)
class _RowRule:
    """One row-level rule of a column, in the order given to pandera."""

    check: str
    expected: dict[str, Any]
    phrase: str
    failures: list[tuple[int, Any]] = field(default_factory=list)
    failed_count: int = 0
    error: str | None = None


def validate(
    data: Any,
    schema: Schema,
    *,
    raise_on_failure: bool = False,
    profile: DatasetProfile | None = None,
    target: str | None = None,
) -> ValidationReport:
    """Check ``data`` against ``schema`` and return the report.

    Args:
        data: a DataFrame, Arrow table, dict of columns, or parquet/CSV path.
        schema: the rules.
        raise_on_failure: raise :class:`~loopml.data.errors.DataValidationError` if any
            check failed (the report is on the exception).
        profile: the table's profile if already known (saves computing it).
        target: a label for the report (``"customers@3"``).
    """
    table = _table(data)
    report, _ = _run(table, schema, profile, target)
    if raise_on_failure:
        report.raise_for_failures()
    return report


def split_valid(data: Any, schema: Schema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(valid, invalid)`` rows of ``data`` by the schema's row-level rules."""
    table = _table(data)
    _, bad = _run(table, schema, None, None)
    frame = table.to_pandas()
    return frame[~bad], frame[bad]


def _table(data: Any) -> pa.Table:
    if isinstance(data, dict):
        try:
            return pa.table(data)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as err:
            raise InvalidInput(f"cannot read the dict of columns as a table: {err}") from err
    table, _ = to_table(data)
    return table


def _run(
    table: pa.Table, schema: Schema, profile: DatasetProfile | None, target: str | None
) -> tuple[ValidationReport, np.ndarray[Any, Any]]:
    rows = table.num_rows
    checks, checkable = _structure(table, schema)
    bad = np.zeros(rows, dtype=bool)
    columns = [c for c in schema.columns if c.name in checkable]
    if columns or schema.unique:
        frame = table.select([c.name for c in columns] + _combo_columns(table, schema))
        row_checks = _row_checks(frame.to_pandas(date_as_object=False), columns, schema, bad)
        checks.extend(row_checks)
    if schema.expectations:
        stats = profile if profile is not None else profile_table(table)
        checks.extend(_expectation(stats, e) for e in schema.expectations)
    report = ValidationReport(
        passed=all(c.passed for c in checks),
        num_rows=rows,
        checks=tuple(checks),
        failed_row_count=int(bad.sum()),
        target=target or schema.name,
    )
    return report, bad


def _combo_columns(table: pa.Table, schema: Schema) -> list[str]:
    declared = set(schema.column_names)
    names = {n for combo in schema.unique for n in combo}
    return sorted(n for n in names if n in table.column_names and n not in declared)


# ---------------------------------------------------------------------------- structure
def _structure(table: pa.Table, schema: Schema) -> tuple[list[CheckResult], set[str]]:
    """Presence, strictness and types; returns the checks and the columns fit for row rules."""
    present = set(table.column_names)
    checks: list[CheckResult] = []
    checkable: set[str] = set()
    for column in schema.columns:
        if column.name not in present:
            if column.required:
                checks.append(
                    _fail("column_present", column.name, f"column {column.name!r} is missing")
                )
            continue
        checks.append(CheckResult("column_present", column.name, True, message="present"))
        if column.type is None:
            checkable.add(column.name)
            continue
        actual = column_type(table.column(column.name))
        ok = matches_type(column.type, actual)
        message = f"{column.name}: type {actual}" + ("" if ok else f", expected {column.type}")
        checks.append(
            CheckResult(
                "type",
                column.name,
                ok,
                failed_count=0 if ok else table.num_rows,
                failed_fraction=0.0 if ok else 1.0,
                message=message,
                observed=actual,
                expected={"type": column.type},
            )
        )
        if ok:
            checkable.add(column.name)
    if schema.strict:
        extra = [n for n in table.column_names if n not in set(schema.column_names)]
        message = (
            f"unexpected column(s) {extra} (the schema is strict)" if extra else "no extra columns"
        )
        checks.append(
            CheckResult("no_extra_columns", None, not extra, message=message, observed=extra)
        )
    return checks, checkable


def _fail(check: str, column: str | None, message: str) -> CheckResult:
    return CheckResult(check, column, False, message=message)


# ---------------------------------------------------------------------------- row rules
def _row_checks(
    frame: pd.DataFrame, columns: list[ColumnSchema], schema: Schema, bad: np.ndarray[Any, Any]
) -> list[CheckResult]:
    rules = {c.name: _rules(c) for c in columns}
    builtin = {c.name: _builtin_rules(c) for c in columns}
    failures = _pandera_failures(frame, columns, rules)
    for case in failures.itertuples(index=False):
        name = case.column
        if case.check_number is not None and not _isnull(case.check_number):
            rule = rules[name][int(case.check_number)]
        else:
            rule = builtin[name][_BUILTIN.get(str(case.check), str(case.check))]
        if case.index is None or _isnull(case.index):
            # the check itself failed (for example comparing numbers with text)
            rule.error = str(case.failure_case)
            continue
        rule.failed_count += 1
        if len(rule.failures) < EXAMPLES:
            rule.failures.append((int(case.index), case.failure_case))
    if len(failures):
        positions = failures["index"].dropna().to_numpy(dtype=np.int64)
        bad[positions] = True
    out: list[CheckResult] = []
    for column in columns:
        for rule in [*builtin[column.name].values(), *rules[column.name]]:
            out.append(_row_result(column.name, rule, len(frame)))
    for combo in schema.unique:
        out.append(_combo_result(frame, combo, bad))
    return out


def _builtin_rules(column: ColumnSchema) -> dict[str, _RowRule]:
    found: dict[str, _RowRule] = {}
    if not column.nullable:
        found["not_null"] = _RowRule("not_null", {"nullable": False}, "are null")
    if column.unique:
        found["unique"] = _RowRule("unique", {"unique": True}, "hold duplicated values")
    return found


def _rules(column: ColumnSchema) -> list[_RowRule]:
    rules: list[_RowRule] = []
    if column.min is not None:
        rules.append(_RowRule("min", {"min": column.min}, f"are below the minimum {column.min}"))
    if column.max is not None:
        rules.append(_RowRule("max", {"max": column.max}, f"are above the maximum {column.max}"))
    if column.allowed is not None:
        shown = list(column.allowed)[:10]
        rules.append(
            _RowRule("allowed_values", {"allowed": list(column.allowed)}, f"are not one of {shown}")
        )
    if column.pattern is not None:
        rules.append(
            _RowRule("pattern", {"pattern": column.pattern}, f"do not match {column.pattern!r}")
        )
    if column.min_length is not None or column.max_length is not None:
        span = {"min_length": column.min_length, "max_length": column.max_length}
        rules.append(
            _RowRule(
                "length", span, f"have a length outside [{column.min_length}, {column.max_length}]"
            )
        )
    return rules


def _pandera_failures(
    frame: pd.DataFrame, columns: list[ColumnSchema], rules: dict[str, list[_RowRule]]
) -> pd.DataFrame:
    import pandas as pd

    # pandera is imported here, at the one place that needs it: it costs ~0.7 s to import
    # and only validation uses it.
    import pandera.pandas as pandera

    spec = {
        c.name: pandera.Column(
            None,
            [_pandera_check(pandera, c, rule, frame[c.name]) for rule in rules[c.name]],
            nullable=c.nullable,
            unique=c.unique,
            required=True,
            name=c.name,
        )
        for c in columns
    }
    try:
        pandera.DataFrameSchema(spec, strict=False).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        return cases[cases["column"].isin(list(spec))]
    return pd.DataFrame(columns=["column", "check", "check_number", "failure_case", "index"])


def _pandera_check(pandera: Any, column: ColumnSchema, rule: _RowRule, series: pd.Series) -> Any:
    check = pandera.Check
    if rule.check == "min":
        return check.ge(_bound(column.min, series))
    if rule.check == "max":
        return check.le(_bound(column.max, series))
    if rule.check == "allowed_values":
        return check.isin(list(column.allowed or ()))
    if rule.check == "pattern":
        return check.str_matches(column.pattern)
    return check.str_length(column.min_length, column.max_length)


def _bound(value: Any, series: pd.Series) -> Any:
    """Datetime columns compare with timestamps: ISO strings are parsed, in the column's zone."""
    import pandas as pd

    if not isinstance(value, str) or not pd.api.types.is_datetime64_any_dtype(series.dtype):
        return value
    stamp = pd.Timestamp(value)
    zone = getattr(series.dtype, "tz", None)
    if zone is not None and stamp.tzinfo is None:
        return stamp.tz_localize("UTC")
    if zone is None and stamp.tzinfo is not None:
        return stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _row_result(column: str, rule: _RowRule, rows: int) -> CheckResult:
    passed = rule.failed_count == 0 and rule.error is None
    if rule.error is not None and not rule.failures:
        message = f"{column}: {rule.check} could not be checked: {rule.error}"
    elif passed:
        message = f"{column}: {rule.check} ok"
    else:
        share = 100.0 * rule.failed_count / max(rows, 1)
        row, value = rule.failures[0]
        example = f"row {row}" if rule.check == "not_null" else f"{_show(value)} at row {row}"
        message = (
            f"{column}: {rule.failed_count} of {rows} rows ({share:.1f}%) {rule.phrase}, "
            f"e.g. {example}"
        )
    return CheckResult(
        rule.check,
        column,
        passed,
        failed_count=rule.failed_count,
        failed_fraction=rule.failed_count / rows if rows else 0.0,
        message=message,
        failed_rows=tuple(r for r, _ in rule.failures),
        failed_values=tuple(_plain(v) for _, v in rule.failures),
        expected=rule.expected,
    )


def _combo_result(
    frame: pd.DataFrame, combo: tuple[str, ...], bad: np.ndarray[Any, Any]
) -> CheckResult:
    label = "+".join(combo)
    missing = [c for c in combo if c not in frame.columns]
    if missing:
        return _fail("unique_combination", label, f"{label}: column(s) {missing} are missing")
    duplicated = frame.duplicated(subset=list(combo), keep=False).to_numpy()
    count = int(duplicated.sum())
    bad |= duplicated
    positions = np.flatnonzero(duplicated)[:EXAMPLES]
    rows = len(frame)
    message = f"{label}: unique together ok"
    if count:
        first = tuple(_plain(v) for v in frame.iloc[int(positions[0])][list(combo)])
        message = (
            f"{label}: {count} of {rows} rows share a ({', '.join(combo)}) value with another "
            f"row, e.g. {first} at row {int(positions[0])}"
        )
    return CheckResult(
        "unique_combination",
        label,
        count == 0,
        failed_count=count,
        failed_fraction=count / rows if rows else 0.0,
        message=message,
        failed_rows=tuple(int(p) for p in positions),
        failed_values=tuple(
            tuple(_plain(v) for v in frame.iloc[int(p)][list(combo)]) for p in positions
        ),
        expected={"unique": list(combo)},
    )


# ---------------------------------------------------------------------------- expectations
def _expectation(profile: DatasetProfile, expectation: Expectation) -> CheckResult:
    check = f"expect_{expectation.statistic}"
    rule = expectation.describe()
    expected = expectation.to_dict()
    if expectation.column is not None and expectation.column not in profile:
        return CheckResult(
            check,
            expectation.column,
            False,
            message=f"{rule}: column is missing",
            expected=expected,
        )
    observed = _statistic(profile, expectation)
    if not isinstance(observed, int | float) or isinstance(observed, bool):
        message = f"{rule}: no numeric value to check (got {observed!r})"
        return CheckResult(
            check, expectation.column, False, 1, 1.0, message, observed=observed, expected=expected
        )
    low, high = expectation.min, expectation.max
    passed = (low is None or observed >= low) and (high is None or observed <= high)
    message = f"{rule}: observed {observed:.6g}" + ("" if passed else " (failed)")
    return CheckResult(
        check,
        expectation.column,
        passed,
        failed_count=0 if passed else 1,
        failed_fraction=0.0 if passed else 1.0,
        message=message,
        observed=observed,
        expected=expected,
    )


def _statistic(profile: DatasetProfile, expectation: Expectation) -> Any:
    if expectation.statistic == "row_count":
        return profile.num_rows
    column = profile[expectation.column or ""]
    statistic = expectation.statistic
    if statistic == "quantile":
        return column.quantile(float(expectation.q or 0.5))
    if statistic == "unique_fraction":
        return None if not column.count else (column.distinct_count or 0) / column.count
    if statistic == "null_fraction":
        return column.null_fraction
    return getattr(column, statistic)


def _isnull(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes):
        try:
            return item()
        except (ValueError, TypeError):
            return value
    return value


def _show(value: Any) -> str:
    plain = _plain(value)
    text = repr(plain) if isinstance(plain, str) else str(plain)
    return text if len(text) <= 60 else text[:57] + "..."
