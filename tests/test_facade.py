"""The facade tells the truth: ``lm.<function>`` has the signature and doc of what it calls."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections import Counter
from pathlib import Path

import pytest

import loopml
import loopml._api

ROOT = Path(__file__).resolve().parents[1]
FACADE_MODULES = [f"loopml._api.{info.name}" for info in pkgutil.iter_modules(loopml._api.__path__)]
EXPORTED_FUNCTIONS = sorted(
    name for name in loopml.__all__ if inspect.isfunction(getattr(loopml, name))
)
FORWARDED = [name for name in EXPORTED_FUNCTIONS if hasattr(getattr(loopml, name), "__wrapped__")]


def _export_imports() -> list[ast.alias]:
    """The aliases imported in the root ``if TYPE_CHECKING:`` block, parsed by ``ast``."""
    tree = ast.parse((ROOT / "src/loopml/__init__.py").read_text())
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    return [
        alias for node in blocks[0].body if isinstance(node, ast.ImportFrom) for alias in node.names
    ]


def _exported_names_in_source() -> list[str]:
    return [alias.asname or alias.name for alias in _export_imports()]


def test_each_public_name_is_listed_once() -> None:
    repeated = [name for name, n in Counter(_exported_names_in_source()).items() if n > 1]
    assert repeated == []


def test_exports_use_the_explicit_reexport_form() -> None:
    # `from m import x as x` is what mypy --strict and IDEs read as a re-export.
    for alias in _export_imports():
        assert alias.asname == alias.name, f"write `{alias.name} as {alias.name}`"


def test_the_lazy_table_reads_what_type_checkers_read() -> None:
    assert sorted(_exported_names_in_source()) == loopml.__all__


@pytest.mark.parametrize("module_name", FACADE_MODULES)
def test_every_facade_function_is_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = {
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__ == module_name
        and module_name not in {"loopml._api.forwarding"}
    }
    assert public <= set(loopml.__all__), (
        f"{module_name}: export {sorted(public - set(loopml.__all__))}"
    )


@pytest.mark.parametrize("name", FORWARDED)
def test_forwarded_function_has_the_method_signature_and_doc(name: str) -> None:
    function = getattr(loopml, name)
    method = function.__wrapped__
    expected = list(inspect.signature(method).parameters.values())[1:]
    assert list(inspect.signature(function).parameters.values()) == expected
    assert inspect.signature(function).return_annotation == (
        inspect.signature(method).return_annotation
    )
    assert function.__doc__ == method.__doc__
    assert function.__name__ == name


@pytest.mark.parametrize("name", EXPORTED_FUNCTIONS)
def test_no_function_hides_its_parameters(name: str) -> None:
    function = getattr(loopml, name)
    kinds = {p.kind for p in inspect.signature(function).parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"lm.{name} takes **kwargs"
    assert function.__doc__, f"lm.{name} has no docstring"
    assert function.__doc__.strip().splitlines()[0].endswith("."), name


def test_facade_functions_cover_the_component_methods() -> None:
    assert len(FORWARDED) >= 50  # nearly all of lm.* forwards one method


def test_help_shows_every_parameter_of_serve() -> None:
    text = pydoc_text(loopml.serve)
    for parameter in ("target", "canary", "shadow", "port", "max_batch_size", "routing_header"):
        assert f"{parameter}:" in text.split("\n", 3)[2], parameter
    assert "Serve a model over HTTP" in text


def pydoc_text(obj: object) -> str:
    import pydoc

    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_forwarding_calls_the_default_clients_component(sqlite_client) -> None:
    experiment = loopml.create_experiment("facade", description="parity")
    assert loopml.get_experiment("facade") == experiment
    with loopml.start_run("facade") as run:
        loopml.log_metric("auc", 0.5, step=1)
    assert loopml.get_run(run.id).metrics["auc"] == 0.5


def test_configure_takes_every_setting() -> None:
    from loopml.config import ENV_VARS

    parameters = set(inspect.signature(loopml.configure).parameters) - {"settings"}
    assert parameters == set(ENV_VARS)
