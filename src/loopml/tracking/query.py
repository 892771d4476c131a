"""Compile the search language (:mod:`loopml.tracking.search`) to SQL over indexed columns.

Each metric, param or tag predicate becomes ``runs.id IN (subquery)`` on the key-leading
index of its table (``latest_metrics(key, value)``, ``params(key, value_num)``,
``tags(key)``), so the database does the filtering; nothing is filtered in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, not_, or_, select, true

from loopml._utils.clock import to_ms
from loopml.errors import InvalidFilter
from loopml.store.tables import tracking as t
from loopml.tracking import search as s

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select

_TIME_ATTRIBUTES = {"start_time", "end_time"}
_NUMERIC_ATTRIBUTES = {"start_time", "end_time", "experiment_id", "seed"}
_COLUMNS = {
    "id": t.runs.c.id,
    "name": t.runs.c.name,
    "status": t.runs.c.status,
    "start_time": t.runs.c.start_time,
    "end_time": t.runs.c.end_time,
    "user": t.runs.c.user_name,
    "experiment": t.experiments.c.name,
    "experiment_id": t.runs.c.experiment_id,
    "parent_id": t.runs.c.parent_id,
    "pipeline_run_id": t.runs.c.pipeline_run_id,
    "step_name": t.runs.c.step_name,
    "source": t.runs.c.source,
    "git_commit": t.runs.c.git_commit,
    "git_branch": t.runs.c.git_branch,
    "git_dirty": t.runs.c.git_dirty,
    "seed": t.runs.c.seed,
}


def compile_filter(node: s.Node | None) -> ColumnElement[bool]:
    """Return the SQL condition for a parsed filter (``true()`` for no filter)."""
    if node is None:
        return true()
    return _compile(node)


def order_columns(items: list[s.OrderBy], query: Select[Any]) -> tuple[Select[Any], list[Any]]:
    """Join what ``items`` need onto ``query`` and return it with the ORDER BY expressions.

    Runs without the metric or param sort last in either direction; ties fall back to the
    newest start time, then the run id, so paging is stable.
    """
    clauses: list[Any] = []
    for index, item in enumerate(items):
        field = item.field
        if field.kind == "attributes":
            column: Any = _COLUMNS[field.key]
            clauses.append(_direction(column, item.descending))
            continue
        table = {"metrics": t.latest_metrics, "params": t.params, "tags": t.tags}[field.kind]
        alias = table.alias(f"o{index}")
        query = query.outerjoin(
            alias, and_(alias.c.run_id == t.runs.c.id, alias.c.key == field.key)
        )
        if field.kind == "params":
            clauses.append(_direction(alias.c.value_num, item.descending))
        clauses.append(_direction(alias.c.value, item.descending))
    clauses.extend([t.runs.c.start_time.desc(), t.runs.c.id])
    return query, clauses


def _direction(column: Any, descending: bool) -> Any:
    return (column.desc() if descending else column.asc()).nulls_last()


def _compile(node: s.Node) -> ColumnElement[bool]:
    if isinstance(node, s.And):
        return and_(*(_compile(item) for item in node.items))
    if isinstance(node, s.Or):
        return or_(*(_compile(item) for item in node.items))
    if isinstance(node, s.Not):
        return not_(_compile(node.item))
    if node.field.kind == "attributes":
        return _attribute(node)
    return _keyed(node)


def split_drivers(node: s.Node | None) -> tuple[list[Select[Any]], s.Node | None]:
    """Split off the run-id sets that a filter's top-level AND requires.

    Returns ``(drivers, rest)``: each driver selects the ``run_id`` of the runs that have a
    metric, param or tag matching one predicate; a run matches the filter when it is in
    every driver and satisfies ``rest``. Searching from the intersection of the drivers
    reads only matching runs (through the key-leading indexes) whatever the planner
    would guess without table statistics.
    """
    items = node.items if isinstance(node, s.And) else (() if node is None else (node,))
    drivers: list[Select[Any]] = []
    rest: list[s.Node] = []
    for item in items:
        found = _member_of(item)
        if found is None:
            rest.append(item)
        else:
            drivers.append(found)
    if not drivers:
        return [], node
    return drivers, (None if not rest else rest[0] if len(rest) == 1 else s.And(tuple(rest)))


def _member_of(node: s.Node) -> Select[Any] | None:
    if isinstance(node, s.And | s.Or | s.Not) or node.field.kind == "attributes":
        return None
    if isinstance(node, s.IsNull) and not node.negated:
        return None  # "is null" means the run lacks the key: not a membership
    return _keyed_runs(node)


def _keyed_runs(node: s.Compare | s.InList | s.Like | s.IsNull) -> Select[Any]:
    field = node.field
    table = {"metrics": t.latest_metrics, "params": t.params, "tags": t.tags}[field.kind]
    has_key = table.c.key == field.key
    if isinstance(node, s.IsNull):
        return select(table.c.run_id).where(has_key)
    return select(table.c.run_id).where(has_key, _value_condition(field, node, table))


def _keyed(node: s.Compare | s.InList | s.Like | s.IsNull) -> ColumnElement[bool]:
    present = t.runs.c.id.in_(_keyed_runs(node))
    if isinstance(node, s.IsNull) and not node.negated:
        return not_(present)
    return present


def _value_condition(field: s.Field, node: s.Compare | s.InList | s.Like, table: Any) -> Any:
    if field.kind == "metrics":
        return _metric_condition(field, node, table.c.value)
    if field.kind == "params":
        return _param_condition(node, table)
    return _text_condition(node, table.c.value)


def _metric_condition(field: s.Field, node: s.Compare | s.InList | s.Like, column: Any) -> Any:
    if isinstance(node, s.Like):
        raise InvalidFilter(f"{field} is a metric (a number); LIKE works on params and tags")
    values = (node.value,) if isinstance(node, s.Compare) else node.values
    for value in values:
        if isinstance(value, (str, bool)):
            raise InvalidFilter(f"{field} is a metric; compare it with a number, not {value!r}")
    if isinstance(node, s.InList):
        condition = column.in_([float(v) for v in node.values])
        return not_(condition) if node.negated else condition
    return _comparison(column, node.op, float(node.value))


def _param_condition(node: s.Compare | s.InList | s.Like, table: Any) -> Any:
    if isinstance(node, s.Compare) and _is_number(node.value):
        # Numbers compare numerically: params.lr > 0.01 matches '0.1' and '1e-1'.
        return _comparison(table.c.value_num, node.op, float(node.value))
    return _text_condition(node, table.c.value)


def _text_condition(node: s.Compare | s.InList | s.Like, column: Any) -> Any:
    if isinstance(node, s.Like):
        condition = (
            column.ilike(node.pattern) if node.case_insensitive else column.like(node.pattern)
        )
        return not_(condition) if node.negated else condition
    if isinstance(node, s.InList):
        condition = column.in_([_text(v) for v in node.values])
        return not_(condition) if node.negated else condition
    return _comparison(column, node.op, _text(node.value))


def _attribute(node: s.Compare | s.InList | s.Like | s.IsNull) -> ColumnElement[bool]:
    name = node.field.key
    column = _COLUMNS[name]
    if isinstance(node, s.IsNull):
        return column.is_not(None) if node.negated else column.is_(None)
    if isinstance(node, s.Like):
        if name in _NUMERIC_ATTRIBUTES or name == "git_dirty":
            raise InvalidFilter(f"attribute {name!r} is not text; LIKE works on text attributes")
        condition = (
            column.ilike(node.pattern) if node.case_insensitive else column.like(node.pattern)
        )
        return not_(condition) if node.negated else condition
    values = (node.value,) if isinstance(node, s.Compare) else node.values
    converted = [_attribute_value(name, v) for v in values]
    if isinstance(node, s.InList):
        condition = column.in_(converted)
        return not_(condition) if node.negated else condition
    if name == "git_dirty" and node.op not in {"=", "!="}:
        raise InvalidFilter("git_dirty is true or false; compare it with = or !=")
    result: ColumnElement[bool] = _comparison(column, node.op, converted[0])
    return result


def _attribute_value(name: str, value: s.Value) -> Any:
    if name == "git_dirty":
        if not isinstance(value, bool):
            raise InvalidFilter(f"git_dirty is true or false, not {value!r}")
        return value
    if name in _TIME_ATTRIBUTES:
        if isinstance(value, str):
            try:
                return to_ms(dt.datetime.fromisoformat(value))
            except ValueError as err:
                raise InvalidFilter(
                    f"{name} compares with epoch milliseconds or an ISO date such as "
                    f"'2026-01-31T12:00', not {value!r}"
                ) from err
        return int(value)
    if name in _NUMERIC_ATTRIBUTES:
        if not _is_number(value):
            raise InvalidFilter(f"{name} is a number; compare it with a number, not {value!r}")
        return value
    if name == "status" and isinstance(value, str):
        return value.upper()
    return _text(value)


def _comparison(column: Any, op: str, value: Any) -> Any:
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    return false()  # pragma: no cover - the parser only produces the operators above


def _is_number(value: s.Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: s.Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
