"""Find and load the feature definitions a project declares in Python files.

By default ``features.py`` (or every ``*.py`` in a ``features/`` folder) of the project
folder; ``loopml.yaml`` may name other files with ``features: {definitions: [...]}``.
Every module-level :class:`Entity` and :class:`FeatureView` (also inside module-level
lists, tuples and dicts) is collected.
"""

from __future__ import annotations

import runpy
from typing import TYPE_CHECKING, Any

from loopml.features.definitions import Entity, FeatureView
from loopml.features.errors import InvalidDefinition

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


def default_paths(project_dir: Path, extra: Mapping[str, Any]) -> list[Path]:
    """Return the definition files of a project (see the module docstring)."""
    section = extra.get("features") if isinstance(extra.get("features"), dict) else {}
    named = section.get("definitions") if section else None
    if named:
        items = [named] if isinstance(named, str) else list(named)
        return [project_dir / str(item) for item in items]
    for candidate in (project_dir / "features.py", project_dir / "features"):
        if candidate.exists():
            return [candidate]
    raise InvalidDefinition(
        f"no feature definitions found in {project_dir}: create features.py there, pass the "
        "files to `loopml features apply PATH`, or set features.definitions in loopml.yaml"
    )


def python_files(paths: Sequence[Path]) -> list[Path]:
    """Expand folders into their ``*.py`` files (sorted, skipping ``_private`` ones)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if not p.name.startswith("_"))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidDefinition(f"feature definitions {str(path)!r} do not exist")
    return files


def load_definitions(paths: Sequence[Path]) -> list[Entity | FeatureView]:
    """Run each definition file and return the entities and views it declares.

    Raises:
        InvalidDefinition: a file fails to run, or declares nothing.
    """
    found: list[Entity | FeatureView] = []
    for path in python_files(paths):
        try:
            namespace = runpy.run_path(str(path), run_name=f"loopml_features_{path.stem}")
        except Exception as err:
            raise InvalidDefinition(
                f"running feature definitions {path} failed: {type(err).__name__}: {err}"
            ) from err
        for value in namespace.values():
            for item in _definitions(value):
                if not any(item is seen for seen in found):
                    found.append(item)
    if not found:
        names = ", ".join(str(p) for p in paths)
        raise InvalidDefinition(f"{names} declare no lm.Entity or lm.FeatureView objects")
    return found


def _definitions(value: object) -> list[Entity | FeatureView]:
    if isinstance(value, Entity | FeatureView):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, Entity | FeatureView)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, Entity | FeatureView)]
    return []
