"""One way to be lazy: every package ``__init__`` exports the names of its ``TYPE_CHECKING`` block.

A package ``__init__`` holds a docstring, one ``if TYPE_CHECKING:`` block of re-exports and
one call::

    if TYPE_CHECKING:
        from loopml.tracking.run import Run as Run, active_run as active_run

    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

The block is the package's only name table: type checkers and IDEs read it as ordinary
imports, and at run time :func:`attach` reads the same lines (a few microseconds, no
imports) and returns a PEP 562 ``__getattr__`` that imports a name's module on first
access. So ``import loopml`` imports none of its components, and each name is listed once.
This is scientific Python's SPEC 1 (``lazy_loader.attach_stub``) without a separate stub.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def exports(source: str) -> dict[str, tuple[str, str]]:
    """Return ``public name -> (module, attribute)`` read from the ``TYPE_CHECKING`` blocks.

    Args:
        source: the text of a package ``__init__``; its ``if TYPE_CHECKING:`` blocks hold
            ``from module import name as name`` lines (parenthesised or not).
    """
    table: dict[str, tuple[str, str]] = {}
    inside, statement = False, ""
    for line in source.splitlines():
        if line and not line[0].isspace():  # a top-level line opens or closes a block
            inside = line.startswith("if TYPE_CHECKING:")
            continue
        code = line.split("#", 1)[0].strip()
        if not inside or not code:
            continue
        statement = f"{statement} {code}" if statement else code
        if not statement.startswith("from "):
            statement = ""
        elif statement.count("(") == statement.count(")"):
            _add(table, statement)
            statement = ""
    return table


def _add(table: dict[str, tuple[str, str]], statement: str) -> None:
    module, _, names = statement.removeprefix("from ").partition(" import ")
    for item in names.strip().strip("()").split(","):
        words = item.split()
        if words:
            table[words[-1]] = (module.strip(), words[0])


def attach(
    package: str, init_file: str
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """Return ``(__getattr__, __dir__, __all__)`` for ``package`` from its ``__init__`` file.

    Args:
        package: the package's ``__name__``.
        init_file: the package's ``__file__`` (its ``TYPE_CHECKING`` block is the table).
    """
    with open(init_file, encoding="utf-8") as handle:
        table = exports(handle.read())
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> object:
        found = table.get(name)
        if found is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = found
        if module == package:  # a submodule: `from loopml.features import online as online`
            value: object = importlib.import_module(f"{package}.{attribute}")
        else:
            value = getattr(importlib.import_module(module), attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__, sorted(table)


class _FunctionsFirst(types.ModuleType):
    """A package whose listed names stay functions when a same-named subpackage is imported."""

    _kept: frozenset[str] = frozenset()

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # Pickled by name like any module (a model that refers to `lm` stays picklable).
        return importlib.import_module, (self.__name__,)

    def __setattr__(self, name: str, value: object) -> None:
        if name in self._kept and isinstance(value, types.ModuleType):
            return  # the subpackage stays reachable through sys.modules and `from ... import`
        super().__setattr__(name, value)


def keep_functions(package: str, names: set[str]) -> None:
    """Keep ``package.<name>`` the exported function when subpackage ``<name>`` is imported.

    Python's import system sets a subpackage as an attribute of its parent, which would
    replace ``lm.lineage`` (a function) by the package ``loopml.lineage``.
    """
    module = sys.modules[package]
    module.__class__ = _FunctionsFirst
    object.__setattr__(module, "_kept", frozenset(names))
