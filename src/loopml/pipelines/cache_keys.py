"""Cache keys (pure): what a step's result depends on, digested.

A step's key covers

* its own code: the syntax tree of the function with decorators and docstring removed
  (so reformatting, comments and docstrings do not invalidate, any code change does);
* the project code it calls: every function, class and simple module constant that the
  step reaches by name from *project* modules (not the standard library, not installed
  packages, not loopml), followed transitively, including ``module.helper`` attribute
  calls and closures;
* its parameters (canonical JSON), the content digests of its input artifacts, and
  options that change its outputs (output names, ``cache_version``).

Changing a helper in ``features.py`` therefore invalidates every step that calls it,
directly or through other helpers, which is what peers that hash only the step body
get wrong.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import marshal
import sys
import sysconfig
import textwrap
import types
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from loopml._utils.hashing import canonical_json, digest_json, sha256_bytes

#: bump when the key layout changes, so old keys never match new ones
CACHE_VERSION = 1
_CONSTANT_TYPES = (int, float, str, bytes, bool, type(None), complex)
_MAX_CONSTANT_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class CodeDigest:
    """The code a step depends on: its own digest and those of the helpers it reaches."""

    own: str
    helpers: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """One digest of the step's code and all its helpers."""
        return digest_json({"own": self.own, "helpers": self.helpers})


class CodeHasher:
    """Digest functions and what they call; memoised for one pipeline run."""

    def __init__(self) -> None:
        self._own: dict[int, str] = {}
        self._closure: dict[int, dict[str, str]] = {}

    def digest(self, fn: Any) -> CodeDigest:
        """Return the :class:`CodeDigest` of ``fn``."""
        fn = inspect.unwrap(fn)
        helpers: dict[str, str] = {}
        self._walk(fn, helpers, {id(fn)})
        return CodeDigest(self._own_digest(fn), dict(sorted(helpers.items())))

    def _own_digest(self, obj: Any) -> str:
        key = id(obj)
        if key not in self._own:
            self._own[key] = source_digest(obj)
        return self._own[key]

    def _walk(self, fn: Any, found: dict[str, str], seen: set[int]) -> None:
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        namespace = getattr(fn, "__globals__", {})
        names = _referenced_names(code)
        for name in names:
            if name in namespace:
                self._visit(namespace[name], f"{fn.__module__}.{name}", names, found, seen)
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell
                continue
            self._visit(value, f"{fn.__module__}.<closure>", names, found, seen)

    def _visit(
        self, value: Any, label: str, names: frozenset[str], found: dict[str, str], seen: set[int]
    ) -> None:
        if isinstance(value, types.ModuleType):
            if is_project_module(value.__name__):
                for attr in names:
                    if attr in vars(value):
                        self._visit(
                            vars(value)[attr], f"{value.__name__}.{attr}", names, found, seen
                        )
            return
        if isinstance(value, _CONSTANT_TYPES) or _is_constant_tuple(value):
            data = canonical_json(repr(value))
            if len(data) <= _MAX_CONSTANT_BYTES and is_project_module(label.rsplit(".", 1)[0]):
                found[label] = sha256_bytes(data)
            return
        target = _code_owner(value)
        if target is None or id(target) in seen:
            return
        module = getattr(target, "__module__", None) or ""
        if not is_project_module(module):
            return
        seen.add(id(target))
        qualname = getattr(target, "__qualname__", getattr(target, "__name__", "?"))
        found[f"{module}.{qualname}"] = self._own_digest(target)
        if isinstance(target, type):
            for member in vars(target).values():
                inner = _code_owner(member)
                if inner is not None and id(inner) not in seen:
                    seen.add(id(inner))
                    self._walk(inner, found, seen)
        else:
            self._walk(target, found, seen)


def _code_owner(value: Any) -> Any:
    """Return the function or class whose code ``value`` stands for, or ``None``."""
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        value = value.fget
    wrapped = getattr(value, "__loopml_step_fn__", None)  # a step called as a helper
    if wrapped is not None:
        value = wrapped
    if isinstance(value, types.FunctionType):
        return inspect.unwrap(value)
    if isinstance(value, type) and not issubclass(value, BaseException | type):
        return value
    return None


def _is_constant_tuple(value: Any) -> bool:
    return isinstance(value, tuple | frozenset) and all(
        isinstance(v, _CONSTANT_TYPES) for v in value
    )


def _referenced_names(code: types.CodeType) -> frozenset[str]:
    names: set[str] = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_names(const)
    return frozenset(names - set(dir(builtins)))


def source_digest(obj: Any) -> str:
    """Digest a function or class by its syntax tree (decorators and docstring removed).

    Falls back to the compiled code when the source is unavailable (``exec``, REPL).
    """
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return compiled_digest(obj)
    node = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ),
        None,
    )
    if node is None:  # a lambda: its line is the best we have
        return sha256_bytes(source.encode())
    return sha256_bytes(ast.dump(_normalised(node)).encode())


def _normalised(node: ast.AST) -> ast.AST:
    for inner in ast.walk(node):
        if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if inner is node:  # the name and decorators do not change what the code does
                inner.decorator_list = []
                inner.name = "_"
            body = inner.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                inner.body = body[1:] or [ast.Pass()]
    return node


def compiled_digest(obj: Any) -> str:
    """Return the digest of the compiled code of ``obj`` (its file and first line ignored)."""
    code = getattr(obj, "__code__", None)
    if code is None:
        return sha256_bytes(repr(obj).encode())
    return sha256_bytes(marshal.dumps(code.replace(co_filename="", co_firstlineno=1)))


@cache
def _library_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    return tuple(str(Path(root).resolve()) for root in roots)


@cache
def _module_is_project(name: str, file: str | None) -> bool:
    top = name.split(".", 1)[0]
    if top in {"loopml", "__mp_main__"} or top in sys.stdlib_module_names:
        return False
    if file is None:
        return name == "__main__"
    path = str(Path(file).resolve())
    return not path.startswith(_library_roots()) and "site-packages" not in path


def is_project_module(name: str) -> bool:
    """Whether module ``name`` is the user's own code (hashed into cache keys)."""
    module = sys.modules.get(name)
    if module is None:
        return False
    return _module_is_project(name, getattr(module, "__file__", None))


def key_parts(
    code: CodeDigest,
    params: dict[str, Any],
    inputs: dict[str, Any],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Return the JSON-ready parts a cache key is made of (stored for ``explain``)."""
    return {
        "version": CACHE_VERSION,
        "code": code.own,
        "helpers": code.helpers,
        "params": {name: digest_json(value) for name, value in sorted(params.items())},
        "param_values": {name: _short(value) for name, value in sorted(params.items())},
        "inputs": dict(sorted(inputs.items())),
        "options": dict(sorted(options.items())),
    }


def cache_key(parts: dict[str, Any]) -> str:
    """Return the cache key of ``parts`` (display-only fields are left out)."""
    return digest_json({k: v for k, v in parts.items() if k != "param_values"})


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Explain, in sentences, how two sets of key parts differ (empty when equal)."""
    reasons: list[str] = []
    if old.get("version") != new.get("version"):
        reasons.append("the cache-key format of loopml changed")
    if old.get("code") != new.get("code"):
        reasons.append("the step's own code changed")
    reasons += _dict_changes("helper", old.get("helpers", {}), new.get("helpers", {}))
    reasons += _param_changes(old, new)
    reasons += _dict_changes("input", old.get("inputs", {}), new.get("inputs", {}))
    reasons += _dict_changes("option", old.get("options", {}), new.get("options", {}))
    return reasons


def _dict_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(f"{kind} {name} is new")
        elif name not in new:
            out.append(f"{kind} {name} is no longer used")
        elif old[name] != new[name]:
            out.append(f"{kind} {name} changed ({_brief(old[name])} -> {_brief(new[name])})")
    return out


def _param_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = old.get("params", {}), new.get("params", {})
    shown_old, shown_new = old.get("param_values", {}), new.get("param_values", {})
    out = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            out.append(
                f"param {name} changed ({shown_old.get(name, 'unset')} -> "
                f"{shown_new.get(name, 'unset')})"
            )
    return out


def _brief(value: Any) -> str:
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    if isinstance(value, list):
        return "[" + ", ".join(_brief(v) for v in value[:3]) + (", ...]" if len(value) > 3 else "]")
    return _short(value)


def _short(value: Any) -> str:
    text = canonical_json(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
