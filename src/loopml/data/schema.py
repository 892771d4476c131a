"""Declared schemas: columns, types, nullability, ranges, categories, uniqueness, expectations.

A :class:`Schema` is plain data (frozen dataclasses, ``to_dict``/``from_dict``, JSON or YAML
files), so it can be stored with a dataset, reviewed in a pull request, or inferred from a
profile with :meth:`Schema.from_profile` and then edited.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopml._utils.hashing import digest_json
from loopml.data import validation
from loopml.data.profiles import QUANTILES, Scalar
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    from loopml.data.profiles import ColumnProfile, DatasetProfile

#: Statistics an :class:`Expectation` can bound (all read from a profile).
STATISTICS = (
    "row_count",
    "null_fraction",
    "null_count",
    "distinct_count",
    "unique_fraction",
    "mean",
    "std",
    "min",
    "max",
    "quantile",
)


@dataclass(frozen=True, slots=True)
class ColumnSchema:
    """What one column must look like (every rule is optional).

    Args:
        name: the column.
        type: an exact logical type (``"int64"``, ``"double"``, ``"string"``,
            ``"timestamp[UTC]"``) or a family: ``int``, ``float``, ``numeric``, ``bool``,
            ``string``, ``datetime``, ``date``.
        nullable: whether nulls are allowed.
        min: smallest allowed value (inclusive; numbers, or ISO strings for datetimes).
        max: largest allowed value (inclusive).
        allowed: the only values allowed (categories).
        unique: no value may appear twice.
        pattern: a regular expression every string must match (from its start).
        min_length: shortest allowed string.
        max_length: longest allowed string.
        required: whether the column must be present.

    Example:
        >>> ColumnSchema("age", "int", nullable=False, min=0, max=130)
        ColumnSchema(name='age', type='int', nullable=False, min=0, max=130, ...)
    """

    name: str
    type: str | None = None
    nullable: bool = True
    min: Scalar = None
    max: Scalar = None
    allowed: tuple[Scalar, ...] | None = None
    unique: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInput(f"a column schema needs a non-empty name, got {self.name!r}")
        if self.type is not None and not isinstance(self.type, str):
            raise InvalidInput(f"column {self.name!r}: type must be a string, got {self.type!r}")
        if self.allowed is not None:
            object.__setattr__(self, "allowed", tuple(self.allowed))
        _check_bounds(self.name, self.min, self.max)
        _check_bounds(self.name, self.min_length, self.max_length)

    def __repr__(self) -> str:
        shown = [f"name={self.name!r}"]
        for f in fields(self)[1:]:
            value = getattr(self, f.name)
            if value != f.default:
                shown.append(f"{f.name}={value!r}")
        return f"ColumnSchema({', '.join(shown)}, ...)"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict holding only the rules that are set."""
        out: dict[str, Any] = {"name": self.name}
        for f in fields(self)[1:]:
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSchema:
        """Build a column schema from :meth:`to_dict` output."""
        return cls(**_known(cls, data, "column"))


@dataclass(frozen=True, slots=True)
class Expectation:
    """A bound on a statistic of the whole table or of one column.

    ``statistic`` is one of :data:`STATISTICS`; ``min``/``max`` are inclusive bounds; for
    ``quantile``, ``q`` is one of the profiled quantiles (0.01, 0.05, 0.25, 0.5, 0.75,
    0.95, 0.99). Expectations are checked against a profile, so a stored dataset version
    is checked without reading its rows.

    Example:
        >>> Expectation.mean("age", min=20, max=60).describe()
        'mean of age between 20 and 60'
    """

    statistic: str
    column: str | None = None
    min: float | None = None
    max: float | None = None
    q: float | None = None

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            raise InvalidInput(
                f"unknown expectation statistic {self.statistic!r}; use one of {list(STATISTICS)}"
            )
        if self.min is None and self.max is None:
            raise InvalidInput(f"expectation {self.statistic!r} needs min=, max= or both")
        if (self.statistic == "row_count") != (self.column is None):
            raise InvalidInput(
                "row_count takes no column; every other expectation names one"
                f" (got statistic={self.statistic!r}, column={self.column!r})"
            )
        if self.statistic == "quantile" and (self.q is None or float(self.q) not in QUANTILES):
            raise InvalidInput(f"quantile expectations need q= one of {list(QUANTILES)}")
        _check_bounds(self.column or "table", self.min, self.max)

    @classmethod
    def row_count(cls, min: float | None = None, max: float | None = None) -> Expectation:
        """The table has between ``min`` and ``max`` rows."""
        return cls("row_count", None, min, max)

    @classmethod
    def null_fraction(cls, column: str, max: float, min: float | None = None) -> Expectation:
        """At most ``max`` (a share, 0-1) of the column is null."""
        return cls("null_fraction", column, min, max)

    @classmethod
    def mean(cls, column: str, min: float | None = None, max: float | None = None) -> Expectation:
        """The column's mean lies in ``[min, max]``."""
        return cls("mean", column, min, max)

    @classmethod
    def std(cls, column: str, min: float | None = None, max: float | None = None) -> Expectation:
        """The column's standard deviation lies in ``[min, max]``."""
        return cls("std", column, min, max)

    @classmethod
    def quantile(
        cls, column: str, q: float, min: float | None = None, max: float | None = None
    ) -> Expectation:
        """The column's ``q`` quantile lies in ``[min, max]``."""
        return cls("quantile", column, min, max, q)

    @classmethod
    def distinct_count(
        cls, column: str, min: float | None = None, max: float | None = None
    ) -> Expectation:
        """The column has between ``min`` and ``max`` distinct values."""
        return cls("distinct_count", column, min, max)

    def describe(self) -> str:
        """The rule in words."""
        what = self.statistic.replace("_", " ")
        if self.statistic == "quantile":
            what = f"{self.q:g} quantile"
        subject = f"{what} of {self.column}" if self.column else what
        if self.min is not None and self.max is not None:
            return f"{subject} between {self.min:g} and {self.max:g}"
        if self.min is not None:
            return f"{subject} at least {self.min:g}"
        return f"{subject} at most {self.max:g}"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Expectation:
        """Build an expectation from :meth:`to_dict` output."""
        return cls(**_known(cls, data, "expectation"))


@dataclass(frozen=True, slots=True)
class Schema:
    """Rules for a whole table: columns, table-level uniqueness and expectations.

    Args:
        columns: one :class:`ColumnSchema` per known column.
        strict: columns not in the schema are an error.
        unique: column combinations that must be unique together (``[("id", "day")]``).
        expectations: statistical bounds (:class:`Expectation`).
        name: a label for reports.

    Example:
        >>> schema = Schema([ColumnSchema("age", "int", nullable=False, min=0)])
        >>> schema.validate({"age": [31, -1]}).failures[0].message
        'age: 1 of 2 rows (50.0%) are below the minimum 0, e.g. -1 at row 1'
    """

    columns: tuple[ColumnSchema, ...] = ()
    strict: bool = False
    unique: tuple[tuple[str, ...], ...] = ()
    expectations: tuple[Expectation, ...] = ()
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(_as_column(c) for c in self.columns))
        object.__setattr__(self, "expectations", tuple(self.expectations))
        object.__setattr__(self, "unique", tuple(_as_combo(c) for c in self.unique))
        names = [c.name for c in self.columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise InvalidInput(f"schema declares column(s) {twice} more than once")

    def __getitem__(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise InvalidInput(f"the schema has no column {name!r}; it has {self.column_names}")

    @property
    def column_names(self) -> list[str]:
        """Declared column names, in order."""
        return [c.name for c in self.columns]

    @property
    def digest(self) -> str:
        """A sha256 over the schema's canonical JSON (equal schemas, equal digests)."""
        return digest_json(self.to_dict())

    def with_column(self, column: ColumnSchema) -> Schema:
        """Return a copy with ``column`` added or replacing the column of the same name."""
        kept = [c for c in self.columns if c.name != column.name]
        if len(kept) == len(self.columns):
            return replace(self, columns=(*self.columns, column))
        return replace(
            self, columns=tuple(column if c.name == column.name else c for c in self.columns)
        )

    def validate(self, data: Any, *, raise_on_failure: bool = False) -> Any:
        """Check ``data`` (DataFrame, Arrow table, parquet/CSV path, dict of columns).

        Returns:
            A :class:`~loopml.data.reports.ValidationReport`; with ``raise_on_failure``
            a failed check raises :class:`~loopml.data.errors.DataValidationError`.
        """
        return validation.validate(data, self, raise_on_failure=raise_on_failure)

    def split(self, data: Any) -> tuple[Any, Any]:
        """Return ``(valid_rows, invalid_rows)`` of ``data`` as two DataFrames.

        Rows failing any row-level rule (nulls, ranges, categories, patterns, lengths,
        uniqueness) go to the second frame; table-level problems (a missing column, a
        wrong type, expectations) do not split rows, so check the report for those.
        """
        return validation.split_valid(data, self)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``from_dict`` reads it back)."""
        out: dict[str, Any] = {"columns": [c.to_dict() for c in self.columns]}
        if self.strict:
            out["strict"] = True
        if self.unique:
            out["unique"] = [list(c) for c in self.unique]
        if self.expectations:
            out["expectations"] = [e.to_dict() for e in self.expectations]
        if self.name:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """Build a schema from :meth:`to_dict` output (or a hand-written JSON/YAML file)."""
        if not isinstance(data, dict):
            raise InvalidInput(f"a schema is a mapping with 'columns', got {type(data).__name__}")
        extra = sorted(set(data) - {"columns", "strict", "unique", "expectations", "name"})
        if extra:
            raise InvalidInput(
                f"unknown schema keys {extra}; use columns, strict, unique, expectations, name"
            )
        return cls(
            columns=tuple(ColumnSchema.from_dict(c) for c in data.get("columns", ())),
            strict=bool(data.get("strict", False)),
            unique=tuple(tuple(c) for c in data.get("unique", ())),
            expectations=tuple(Expectation.from_dict(e) for e in data.get("expectations", ())),
            name=data.get("name"),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the schema as JSON (``.json``) or YAML (``.yaml``/``.yml``)."""
        target = Path(path)
        if target.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            target.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        else:
            target.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Schema:
        """Read a schema from a JSON or YAML file."""
        source = Path(path)
        if not source.is_file():
            raise InvalidInput(f"no schema file at {source}")
        text = source.read_text()
        try:
            if source.suffix.lower() in {".yaml", ".yml"}:
                import yaml

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except ValueError as err:
            raise InvalidInput(f"cannot read schema file {source}: {err}") from err
        return cls.from_dict(data)

    @classmethod
    def from_profile(
        cls,
        profile: DatasetProfile,
        *,
        margin: float = 0.0,
        max_categories: int = 10,
        infer_unique: bool = True,
        strict: bool = True,
        name: str | None = None,
    ) -> Schema:
        """Infer a schema from a profile: types, nullability, ranges, categories, uniqueness.

        Args:
            profile: the reference profile (``version.profile`` or ``profile(frame)``).
            margin: widen numeric ranges by this share of their span on each side.
            max_categories: string/boolean columns with at most this many distinct values
                get ``allowed`` categories.
            infer_unique: mark integer and string columns whose values are all distinct
                as ``unique``.
            strict: refuse columns the profile did not have.
            name: a label for reports.
        """
        columns = tuple(
            _column_from_profile(c, margin, max_categories, infer_unique) for c in profile.columns
        )
        return cls(columns=columns, strict=strict, name=name)


def _column_from_profile(
    column: ColumnProfile, margin: float, max_categories: int, infer_unique: bool
) -> ColumnSchema:
    rules: dict[str, Any] = {"type": column.type, "nullable": column.null_count > 0}
    if column.kind == "numeric" and column.min is not None:
        low, high = float(column.min), float(column.max)  # type: ignore[arg-type]
        pad = (high - low) * margin
        is_int = isinstance(column.min, int) and pad == 0
        rules["min"] = column.min if is_int else low - pad
        rules["max"] = column.max if is_int else high + pad
    elif column.kind == "datetime" and column.min is not None:
        rules["min"], rules["max"] = column.min, column.max
    few = column.distinct_count is not None and column.distinct_count <= max_categories
    complete = column.distinct_count == len(column.top_values)
    if column.kind in {"string", "categorical", "boolean"} and few and complete:
        rules["allowed"] = tuple(sorted(v.value for v in column.top_values))
    keyish = column.kind == "string" or column.type.startswith(("int", "uint"))
    if infer_unique and keyish and column.count > 1 and column.is_unique:
        rules["unique"] = True
    return ColumnSchema(column.name, **rules)


def _as_column(column: ColumnSchema | dict[str, Any]) -> ColumnSchema:
    if isinstance(column, ColumnSchema):
        return column
    if isinstance(column, dict):
        return ColumnSchema.from_dict(column)
    raise InvalidInput(f"schema columns must be ColumnSchema objects or dicts, got {column!r}")


def _as_combo(combo: Iterable[str] | str) -> tuple[str, ...]:
    names = (combo,) if isinstance(combo, str) else tuple(combo)
    if not names or not all(isinstance(n, str) for n in names):
        raise InvalidInput(f"unique combinations are lists of column names, got {combo!r}")
    return names


def _known(cls: Any, data: dict[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(f"a {what} is a mapping, got {data!r}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"unknown {what} keys {unknown} in {data!r}; use {sorted(known)}")
    return dict(data)


def _check_bounds(label: str, low: Any, high: Any) -> None:
    for bound in (low, high):
        if isinstance(bound, float) and math.isnan(bound):
            raise InvalidInput(f"{label}: a bound cannot be NaN")
    if low is None or high is None:
        return
    try:
        inverted = bool(low > high)
    except TypeError as err:
        raise InvalidInput(f"{label}: bounds {low!r} and {high!r} are not comparable") from err
    if inverted:
        raise InvalidInput(f"{label}: min {low!r} is greater than max {high!r}")
