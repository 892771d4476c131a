"""Find pipeline definitions by target: ``module:name``, ``path/to/file.py:name`` or a file."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from loopml.pipelines.definition import Pipeline
from loopml.pipelines.errors import PipelineDefinitionError, PipelineNotFound


def load_target(target: str) -> Pipeline:
    """Import and return the pipeline ``target`` points at.

    A file is imported as a module named after it, with its folder put on ``sys.path``
    (so worker processes can import its steps too).

    Raises:
        PipelineNotFound: the module, file or attribute does not exist, or is not a pipeline.
    """
    location, separator, attribute = target.rpartition(":")
    if not separator:
        location, attribute = target, ""
    module = _import(location)
    if attribute:
        found = getattr(module, attribute, None)
        if not isinstance(found, Pipeline):
            raise PipelineNotFound(
                f"{location} has no pipeline {attribute!r}; it defines {_names(module) or 'none'}"
            )
        return found
    candidates = [v for v in vars(module).values() if isinstance(v, Pipeline)]
    if len(candidates) != 1:
        raise PipelineNotFound(
            f"{location} defines {len(candidates)} pipelines ({_names(module)}); name one as "
            f"{location}:NAME"
        )
    return candidates[0]


def _import(location: str) -> Any:
    path = Path(location)
    if location.endswith(".py") or path.is_file():
        if not path.is_file():
            raise PipelineNotFound(f"no file {location}; pass path/to/file.py:pipeline")
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = path.stem
        existing = sys.modules.get(name)
        if (
            existing is not None
            and Path(getattr(existing, "__file__", "") or "").resolve() != path.resolve()
        ):
            raise PipelineDefinitionError(
                f"cannot import {location} as module {name!r}: another module of that name is "
                "loaded; rename the file or use module:pipeline"
            )
        module = _import_module(name)
        # Remember it came from a file, so runs record the file (importable anywhere) as target.
        module.__loopml_from_file__ = True
        return module
    return _import_module(location)


def _import_module(location: str) -> Any:
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as err:
        if err.name and location.startswith(err.name):
            raise PipelineNotFound(
                f"cannot import {location!r} ({err}); pass module:pipeline from a folder on "
                "PYTHONPATH or path/to/file.py:pipeline"
            ) from err
        raise


def _names(module: Any) -> list[str]:
    return sorted(k for k, v in vars(module).items() if isinstance(v, Pipeline))
