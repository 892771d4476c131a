"""Pure checks and conversions for what runs log: keys, params, tags and metric values.

Limits (documented in docs/tracking.md):

* keys (params, metrics, tags): 1-250 characters of letters, digits, ``_ - . / : `` and space;
* param values: at most 6,000 characters once converted with ``str``;
* tag values: at most 8,000 characters;
* names, param and tag values: no NUL or lone surrogate characters (refused the same
  way on SQLite and PostgreSQL);
* metric values: real numbers (``int``, ``float``, ``bool``, numpy scalars). NaN and
  ±infinity are accepted and kept; NaN never matches a search comparison.
"""

from __future__ import annotations

import math
import numbers
import re

from loopml.errors import InvalidInput, ParamConflict

MAX_KEY_LENGTH = 250
MAX_PARAM_LENGTH = 6_000
MAX_TAG_LENGTH = 8_000
MAX_NAME_LENGTH = 256
_KEY = re.compile(r"^[A-Za-z0-9_\-./: ]+$")


def check_key(kind: str, key: object) -> str:
    """Return ``key`` if it is a valid param/metric/tag key, else raise :class:`InvalidInput`."""
    if not isinstance(key, str):
        raise InvalidInput(f"{kind} key must be a string, got {type(key).__name__} {key!r}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"{kind} key {key[:60]!r} has {len(key)} characters; use 1 to {MAX_KEY_LENGTH}"
        )
    if not _KEY.match(key) or key != key.strip():
        raise InvalidInput(
            f"{kind} key {key!r} may only use letters, digits, '_', '-', '.', '/', ':' and inner "
            "spaces; rename it"
        )
    return key


def storable(what: str, text: str) -> str:
    """Return ``text`` if every backend can store it: no NUL, no lone surrogate.

    PostgreSQL refuses NUL in text and no driver encodes a lone surrogate, so both are
    refused up front, the same way on SQLite and PostgreSQL.
    """
    if text.isascii():
        if "\x00" not in text:
            return text
    elif _UNSTORABLE.search(text) is None:
        return text
    bad = _UNSTORABLE.search(text)
    index = bad.start() if bad is not None else -1
    name = "a NUL character" if text[index] == "\x00" else "a lone surrogate character"
    raise InvalidInput(
        f"{what} holds {name} at position {index} ({text[:60]!r}); text stored by loopml "
        "cannot contain NUL or unpaired surrogates. Remove it, or log the raw bytes as an "
        "artifact."
    )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def param_value(key: str, value: object) -> str:
    """Return the stored text of a param value (``str(value)``), enforcing the length limit."""
    text = storable(f"param {key!r}", value if isinstance(value, str) else str(value))
    if len(text) > MAX_PARAM_LENGTH:
        raise InvalidInput(
            f"param {key!r} has a value of {len(text)} characters; the limit is "
            f"{MAX_PARAM_LENGTH}. Log long values as an artifact (run.log_text or run.log_dict)."
        )
    return text


def tag_value(key: str, value: object) -> str:
    """Return the stored text of a tag value, enforcing the length limit."""
    text = storable(f"tag {key!r}", value if isinstance(value, str) else str(value))
    if len(text) > MAX_TAG_LENGTH:
        raise InvalidInput(
            f"tag {key!r} has a value of {len(text)} characters; the limit is {MAX_TAG_LENGTH}. "
            "Log long values as an artifact."
        )
    return text


def numeric_or_none(text: str) -> float | None:
    """Return ``text`` as a finite float when it reads as a number, else ``None``."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def metric_value(key: str, value: object) -> float:
    """Return a metric value as a float; strings and other non-numbers are rejected."""
    if type(value) is float:
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    raise InvalidInput(
        f"metric {key!r} must be a real number, got {type(value).__name__} {value!r:.60}; "
        "log text as a tag or param instead"
    )


def metric_step(key: str, step: object) -> int:
    """Return a metric step as an ``int``; integral numbers (numpy ints, ``2.0``) are accepted."""
    if isinstance(step, bool) or not isinstance(step, int):
        try:
            as_int: int = int(step)  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidInput(f"step of metric {key!r} must be an integer, got {step!r}") from err
        if as_int != step:
            raise InvalidInput(f"step of metric {key!r} must be an integer, got {step!r}")
        return as_int
    return step


def param_conflict(run_id: str, key: str, old: str, new: str) -> ParamConflict:
    """The error for a param logged again with another value (params are fixed inputs)."""
    return ParamConflict(
        f"param {key!r} of run {run_id} is already {old!r}; it cannot change to {new!r}. "
        "Params are fixed inputs: use a new run, or log a changing value as a metric or tag."
    )


def check_name(kind: str, name: object) -> str:
    """Return a valid experiment or run name (non-empty text of at most 256 characters)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{kind} name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{kind} name has {len(name)} characters; use at most {MAX_NAME_LENGTH}")
    return storable(f"{kind} name", name)
