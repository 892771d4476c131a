"""Limits and type rules of the search language, checked while parsing (pure, no I/O).

Every malformed filter fails here with :class:`~loopml.errors.InvalidFilter` and the
position of the offending character or token, before any SQL is built, so SQLite and
PostgreSQL answer the same way and no driver error, recursion error or overflow escapes:

* the text is a string of at most ``MAX_FILTER_CHARS`` characters, without NUL or lone
  surrogate characters (no name or value can hold them: see ``tracking.validation``);
* parentheses and ``not`` nest at most ``MAX_DEPTH`` deep; a filter has at most
  ``MAX_PREDICATES`` predicates and ``MAX_VALUES`` literals in all;
* metrics compare with numbers only; ``LIKE`` works on params, tags and text attributes;
  integer attributes (times, ids, seed) take integers within 64 bits; times also take ISO
  dates; ``git_dirty`` takes ``true`` or ``false`` with ``=`` or ``!=``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING

from loopml.errors import InvalidFilter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAX_FILTER_CHARS = 100_000
MAX_DEPTH = 50
MAX_PREDICATES = 100
MAX_VALUES = 5_000
INT64_MAX = 2**63 - 1
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
INTEGER_ATTRIBUTES = frozenset({"start_time", "end_time", "experiment_id", "seed"})
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def check_text(text: object, what: str = "filter") -> str:
    """Return ``text`` if it can be a filter (or order item), else raise ``InvalidFilter``."""
    if not isinstance(text, str):
        raise InvalidFilter(
            f'the {what} must be a string such as "metrics.acc > 0.9", '
            f"got {type(text).__name__} {text!r:.80}"
        )
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidFilter(
            f"the {what} has {len(text):,} characters; the limit is {MAX_FILTER_CHARS:,}. "
            "Split the search, or select runs by experiment or tag instead"
        )
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        name = "a NUL character" if bad.group() == "\x00" else "a lone surrogate character"
        raise InvalidFilter(
            f"{name} ({bad.group()!r}) at position {bad.start()}; names and values never hold "
            "one, so remove it",
            text=text,
            position=bad.start(),
        )
    return text


def check_values(
    kind: str,
    key: str,
    values: Sequence[object],
    *,
    is_like: bool = False,
    op: str = "=",
    text: str = "",
    position: int = -1,
) -> None:
    """Check the literals of one predicate against its field's type.

    Args:
        kind: ``metrics``, ``params``, ``tags`` or ``attributes``.
        key: the metric, param or tag key, or the canonical attribute name.
        values: the literals (the pattern for ``LIKE``).
        is_like: whether the predicate is a ``LIKE``/``ILIKE``.
        op: the comparison operator.
        text: the filter text, for the error's pointer.
        position: where the predicate's value starts.
    """

    def fail(message: str) -> InvalidFilter:
        return InvalidFilter(message, text=text, position=position)

    if kind in {"params", "tags"}:
        return
    if kind == "metrics":
        if is_like:
            raise fail(f"metrics.{key} is a number; LIKE works on params, tags and text attributes")
        for value in values:
            if isinstance(value, str | bool):
                raise fail(f"metrics.{key} is a metric; compare it with a number, not {value!r}")
        return
    _check_attribute(key, values, is_like=is_like, op=op, fail=fail)


def _check_attribute(
    name: str,
    values: Sequence[object],
    *,
    is_like: bool,
    op: str,
    fail: Callable[[str], InvalidFilter],
) -> None:
    if name == "git_dirty":
        if is_like or op not in {"=", "!="} or any(not isinstance(v, bool) for v in values):
            raise fail("git_dirty is true or false; compare it with = or != (git_dirty = true)")
        return
    if name not in INTEGER_ATTRIBUTES:
        return
    if is_like:
        raise fail(f"attribute {name!r} is not text; LIKE works on text attributes")
    for value in values:
        if isinstance(value, str) and name in TIME_ATTRIBUTES:
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                raise fail(
                    f"{name} compares with epoch milliseconds or an ISO date such as "
                    f"'2026-01-31T12:00', not {value!r}"
                ) from None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"{name} is a number; compare it with a number, not {value!r}")
        if not math.isfinite(value) or abs(value) > INT64_MAX:
            raise fail(f"{name} takes integers within 64 bits (|n| <= 2**63-1), not {value!r}")
