"""Check values against type annotations (pure): the subset pipelines need.

Supported: ``Any``, plain classes (``int`` also satisfies ``float``), ``None``, unions
(``A | B``, ``Optional``), ``Literal``, ``list[T]``, ``tuple[T, ...]``/``tuple[A, B]``,
``dict[K, V]``, ``set``/``frozenset``, ``collections.abc`` containers. Anything else
(type variables, protocols, forward references that do not resolve) is accepted: the
check exists to catch mistakes, never to reject valid code.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import types
import typing
from typing import Any

_ORIGINS_SEQ = {list, cabc.Sequence, cabc.MutableSequence, set, frozenset, cabc.Set, cabc.Iterable}


def hints(fn: Any) -> dict[str, Any]:
    """Return the resolved annotations of ``fn`` (empty when they cannot be resolved)."""
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolved forward references: fall back to no checks
        return {}


def matches(value: object, annotation: Any) -> bool:
    """Return whether ``value`` satisfies ``annotation`` (unknown annotations match)."""
    if annotation is Any or annotation is inspect.Parameter.empty or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    if origin is None:
        return _matches_class(value, annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is typing.Annotated:
        return matches(value, args[0])
    if origin is tuple:
        return _matches_tuple(value, args)
    if origin in (dict, cabc.Mapping, cabc.MutableMapping):
        return _matches_mapping(value, args)
    if origin in _ORIGINS_SEQ:
        return _matches_collection(value, origin, args)
    if isinstance(origin, type):
        return isinstance(value, origin)
    return True


def describe(annotation: Any) -> str:
    """Return a readable name for ``annotation``."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _matches_class(value: object, annotation: Any) -> bool:
    if not isinstance(annotation, type):
        return True
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is complex:
        return isinstance(value, int | float | complex) and not isinstance(value, bool)
    try:
        return isinstance(value, annotation)
    except TypeError:  # protocols that are not runtime-checkable, generics
        return True


def _matches_tuple(value: object, args: tuple[Any, ...]) -> bool:
    if not isinstance(value, tuple):
        return False
    if not args:
        return True
    if len(args) == 2 and args[1] is Ellipsis:
        return all(matches(item, args[0]) for item in value)
    return len(args) == len(value) and all(matches(v, a) for v, a in zip(value, args, strict=True))


def _matches_mapping(value: object, args: tuple[Any, ...]) -> bool:
    if not isinstance(value, cabc.Mapping):
        return False
    if len(args) != 2:
        return True
    return all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())


def _matches_collection(value: object, origin: Any, args: tuple[Any, ...]) -> bool:
    if origin in (cabc.Sequence, cabc.Iterable) and isinstance(value, str | bytes):
        return not args or all(matches(v, args[0]) for v in value)
    if not isinstance(value, origin):
        return False
    if not args:
        return True
    return all(matches(item, args[0]) for item in value)
