"""One wiring point: no component reaches a higher layer, not even through a string.

import-linter checks ``import`` statements. Lazy ``"module:attribute"`` strings (the
backend registry, uvicorn factories) are invisible to it, so this test resolves every
such string in ``loopml._registry`` and in the source of every module, and applies the
same layer contract (read from ``pyproject.toml``) to them.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from loopml import _registry

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
TARGET = re.compile(r"^(loopml(?:\.\w+)*):(\w+(?:\.\w+)*)$")


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    return [[part.strip().strip("()") for part in layer.split("|")] for layer in layers]


LAYERS = _layers()


def position(module: str) -> tuple[int, str] | None:
    """Return (layer index from the top, the sibling package) of ``module``, if layered."""
    best: tuple[int, str] | None = None
    for index, siblings in enumerate(LAYERS):
        for package in siblings:
            inside = module == package or module.startswith(package + ".")
            if inside and (best is None or len(package) > len(best[1])):
                best = (index, package)
    return best


def violation(user: str, target: str) -> str | None:
    """Why ``user`` may not use ``target`` ("module:attr"), or ``None`` when it may."""
    module = target.partition(":")[0]
    if module == "loopml":
        return f"{user} names the root package ({target})"
    mine, theirs = position(user), position(module)
    if mine is None or theirs is None:
        return None  # the root package, the facade or the client: above every layer
    if theirs[0] < mine[0]:
        return f"{user} ({mine[1]}) reaches up to {target} ({theirs[1]})"
    if theirs[0] == mine[0] and theirs[1] != mine[1]:
        return f"{user} ({mine[1]}) reaches its independent sibling {target} ({theirs[1]})"
    return None


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "loopml").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _string_targets(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TARGET.match(node.value)
    ]


def _users_of(kind: str) -> list[str]:
    uses = re.compile(
        rf"""_registry\.\w+\(\s*["']{kind}["']|BUILTIN(?:\.get\(|\[)\s*["']{kind}["']"""
    )
    return [
        name
        for name, path in MODULES.items()
        if name != "loopml._registry" and uses.search(path.read_text())
    ]


def _resolve(target: str) -> object:
    return _registry.import_target(target)


@pytest.mark.parametrize("kind", sorted(_registry.BUILTIN))
def test_registry_targets_resolve_and_point_down(kind: str) -> None:
    users = _users_of(kind)
    assert users, f"no module uses registry kind {kind!r}; remove it"
    for scheme, target in _registry.BUILTIN[kind].items():
        if target.startswith("loopml"):
            pytest.importorskip(target.partition(":")[0].split(".")[0])
            assert _resolve(target) is not None, (kind, scheme)
        for user in users:
            assert violation(user, target) is None, violation(user, target)


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"loopml._registry"}))
def test_strings_in_modules_point_down(module: str) -> None:
    # The registry's own strings are checked against the modules that look them up.
    for target in _string_targets(MODULES[module]):
        assert violation(module, target) is None, violation(module, target)


def test_string_targets_in_modules_exist() -> None:
    for module, path in MODULES.items():
        for target in _string_targets(path):
            try:
                _resolve(target)
            except ModuleNotFoundError as err:  # an optional extra that is not installed
                if not (err.name or "").startswith("loopml"):
                    continue
                raise AssertionError(f"{module}: {target} does not exist") from err


def test_the_check_catches_upward_strings() -> None:
    assert violation("loopml.features.api", "loopml._api.default:get_client")
    assert violation("loopml.serving.metrics", "loopml.monitoring.prometheus:collector")
    assert violation("loopml.tracking.run", "loopml.models.writer:log_model")
    assert violation("loopml.serving.app", "loopml:__version__")
    assert violation("loopml.client", "loopml.monitoring.jobs:monitor_jobs") is None
    assert violation("loopml.pipelines.scheduler", "loopml.pipelines.jobs:pipeline_jobs") is None
    assert violation("loopml.features.online", "loopml.features.online.redis:X") is None


def _client_layer() -> int:
    return next(i for i, siblings in enumerate(LAYERS) if "loopml.client" in siblings)


COMPONENT_MODULES = sorted(
    name for name in MODULES if (found := position(name)) is not None and found[0] > _client_layer()
)


@pytest.mark.parametrize("module", COMPONENT_MODULES)
def test_components_never_import_the_root_package(module: str) -> None:
    # `from loopml import __version__` or `import loopml as lm` would run the facade's
    # names from inside a component; `from loopml import _registry` (a module) is fine.
    tree = ast.parse(MODULES[module].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(alias.name != "loopml" for alias in node.names), module
        elif isinstance(node, ast.ImportFrom) and node.module == "loopml" and node.level == 0:
            for alias in node.names:
                assert f"loopml.{alias.name}" in MODULES, f"{module} imports loopml.{alias.name}"
