"""Compare two dataset versions: schema changes, row counts, content and profile shifts (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.data.entities import DatasetVersion
    from loopml.data.profiles import ColumnProfile, DatasetProfile

Status = Literal["added", "removed", "changed", "unchanged"]

#: Profile statistics compared for every column present on both sides.
COMPARED = ("null_fraction", "distinct_count", "min", "max", "mean", "std", "median")


@dataclass(frozen=True, slots=True)
class StatChange:
    """One statistic before and after."""

    old: Any
    new: Any

    @property
    def delta(self) -> float | None:
        """``new - old`` for numbers, else ``None``."""
        if _number(self.old) and _number(self.new):
            return float(self.new) - float(self.old)
        return None


@dataclass(frozen=True, slots=True)
class ColumnChange:
    """How one column differs between two versions.

    ``content_changed`` compares the per-column content digests (``None`` when they are
    unknown, for example when diffing bare profiles). ``mean_shift`` is the change of the
    mean in units of the old standard deviation. ``new_values``/``missing_values`` list
    frequent values that appeared or disappeared (string, categorical, boolean columns).
    """

    name: str
    status: Status
    old_type: str | None = None
    new_type: str | None = None
    content_changed: bool | None = None
    stats: dict[str, StatChange] = field(default_factory=dict)
    mean_shift: float | None = None
    new_values: tuple[Any, ...] = ()
    missing_values: tuple[Any, ...] = ()

    @property
    def type_changed(self) -> bool:
        """Whether the column is on both sides with different types."""
        return self.status == "changed" and self.old_type != self.new_type

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "status": self.status,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "type_changed": self.type_changed,
            "content_changed": self.content_changed,
            "stats": {
                k: {"old": v.old, "new": v.new, "delta": v.delta} for k, v in self.stats.items()
            },
            "mean_shift": self.mean_shift,
            "new_values": list(self.new_values),
            "missing_values": list(self.missing_values),
        }


@dataclass(frozen=True, slots=True)
class DatasetDiff:
    """The differences between an old and a new version (or two profiles)."""

    old: str
    new: str
    same_content: bool
    old_rows: int
    new_rows: int
    columns: tuple[ColumnChange, ...]
    order_changed: bool = False

    @property
    def added(self) -> list[str]:
        """Columns only in the new version."""
        return [c.name for c in self.columns if c.status == "added"]

    @property
    def removed(self) -> list[str]:
        """Columns only in the old version."""
        return [c.name for c in self.columns if c.status == "removed"]

    @property
    def type_changes(self) -> list[str]:
        """Columns whose type changed."""
        return [c.name for c in self.columns if c.type_changed]

    @property
    def changed(self) -> list[str]:
        """Columns on both sides whose content or type changed."""
        return [c.name for c in self.columns if c.status == "changed"]

    @property
    def schema_changed(self) -> bool:
        """Whether columns were added, removed, retyped or reordered."""
        return bool(self.added or self.removed or self.type_changes or self.order_changed)

    def summary(self) -> str:
        """A few lines for people."""
        if self.same_content:
            return f"{self.old} and {self.new} hold the same content"
        lines = [f"{self.old} -> {self.new}: rows {self.old_rows} -> {self.new_rows}"]
        for label, names in (
            ("added", self.added),
            ("removed", self.removed),
            ("type changed", self.type_changes),
            ("values changed", self.changed),
        ):
            if names:
                lines.append(f"  {label}: {', '.join(names)}")
        if self.order_changed:
            lines.append("  column order changed")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "old": self.old,
            "new": self.new,
            "same_content": self.same_content,
            "old_rows": self.old_rows,
            "new_rows": self.new_rows,
            "schema_changed": self.schema_changed,
            "order_changed": self.order_changed,
            "added": self.added,
            "removed": self.removed,
            "type_changes": self.type_changes,
            "changed": self.changed,
            "columns": [c.to_dict() for c in self.columns],
        }


def diff_versions(old: DatasetVersion, new: DatasetVersion) -> DatasetDiff:
    """Compare two dataset versions (of one dataset or of two)."""
    result = diff_profiles(
        old.profile,
        new.profile,
        old_label=old.ref,
        new_label=new.ref,
        old_digests=old.column_digests,
        new_digests=new.column_digests,
    )
    if old.digest == new.digest:
        return DatasetDiff(old.ref, new.ref, True, old.num_rows, new.num_rows, result.columns)
    return result


def diff_profiles(
    old: DatasetProfile,
    new: DatasetProfile,
    *,
    old_label: str = "old",
    new_label: str = "new",
    old_digests: Mapping[str, str] | None = None,
    new_digests: Mapping[str, str] | None = None,
) -> DatasetDiff:
    """Compare two profiles; per-column digests, when given, tell exactly what changed."""
    old_names, new_names = old.column_names, new.column_names
    changes: list[ColumnChange] = []
    for name in new_names:
        if name not in old:
            changes.append(ColumnChange(name, "added", new_type=new[name].type))
            continue
        content = None
        if old_digests is not None and new_digests is not None:
            content = old_digests.get(name) != new_digests.get(name)
        changes.append(_compare(old[name], new[name], content))
    for name in old_names:
        if name not in new:
            changes.append(ColumnChange(name, "removed", old_type=old[name].type))
    common = [n for n in new_names if n in old]
    order_changed = [n for n in old_names if n in new] != common
    same = not order_changed and all(c.status == "unchanged" for c in changes)
    same = same and old.num_rows == new.num_rows and old_digests is not None
    return DatasetDiff(
        old_label, new_label, same, old.num_rows, new.num_rows, tuple(changes), order_changed
    )


def _compare(old: ColumnProfile, new: ColumnProfile, content_changed: bool | None) -> ColumnChange:
    stats = {}
    for name in COMPARED:
        before, after = _stat(old, name), _stat(new, name)
        if not _same(before, after):
            stats[name] = StatChange(before, after)
    changed = old.type != new.type or (
        content_changed if content_changed is not None else bool(stats)
    )
    new_values, missing_values = _category_changes(old, new)
    return ColumnChange(
        name=new.name,
        status="changed" if changed else "unchanged",
        old_type=old.type,
        new_type=new.type,
        content_changed=content_changed,
        stats=stats,
        mean_shift=_mean_shift(old, new),
        new_values=new_values,
        missing_values=missing_values,
    )


def _stat(column: ColumnProfile, name: str) -> Any:
    if name == "median":
        return column.quantiles.get("0.5")
    if name == "null_fraction":
        return round(column.null_fraction, 12)
    return getattr(column, name)


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-15)
    return bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mean_shift(old: ColumnProfile, new: ColumnProfile) -> float | None:
    if old.mean is None or new.mean is None or not old.std:
        return None
    return (new.mean - old.mean) / old.std


def _category_changes(
    old: ColumnProfile, new: ColumnProfile
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    if new.kind not in {"string", "categorical", "boolean"} or old.kind != new.kind:
        return (), ()
    before = {v.value for v in old.top_values}
    after = {v.value for v in new.top_values}
    # Only complete value lists prove a value appeared or disappeared.
    if old.distinct_count != len(before) or new.distinct_count != len(after):
        return (), ()
    return tuple(sorted(after - before, key=str)), tuple(sorted(before - after, key=str))
