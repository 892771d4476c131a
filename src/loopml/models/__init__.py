"""Model packages, flavors, signatures and the model registry (versions, aliases, history).

``run.log_model(model, "model", example=X[:5])`` writes a self-describing package;
``lm.register_model(ref, "churn")`` makes it a version; aliases such as ``champion``
point at versions and every move is kept; ``lm.load_model("models:/churn@champion")``
loads straight from verified blob files, cached by package digest. See docs/models.md.

The package loads lazily (PEP 562): ``loopml.models.quick.load_model`` in a fresh process
imports neither SQLAlchemy nor the registry, only what loading a package needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> submodule that defines it (``ModelRegistry`` is ``Models``)
_EXPORTS: dict[str, str] = {
    "AliasChange": "entities",
    "AliasNotFound": "errors",
    "ColumnSpec": "signatures",
    "Flavor": "flavors",
    "InvalidModelUri": "errors",
    "LoadedModel": "loaded",
    "ModelAlias": "entities",
    "ModelNotFound": "errors",
    "ModelPackage": "packages",
    "ModelRegistry": "api",
    "ModelUri": "uris",
    "ModelVersion": "entities",
    "ModelVersionNotFound": "errors",
    "Models": "api",
    "PackageCorrupted": "errors",
    "PackageNotFound": "errors",
    "PythonModel": "python_model",
    "PythonModelContext": "python_model",
    "RegisteredModel": "entities",
    "Resolved": "api",
    "Signature": "signatures",
    "SignatureMismatch": "errors",
    "build_package": "writer",
    "detect_flavor": "flavors",
    "get_flavor": "flavors",
    "infer_signature": "inference",
    "load_model": "quick",
    "log_model": "writer",
    "parse_uri": "uris",
    "save_package": "writer",
}

if TYPE_CHECKING:
    from loopml.models.api import Models, Models as ModelRegistry, Resolved
    from loopml.models.entities import AliasChange, ModelAlias, ModelVersion, RegisteredModel
    from loopml.models.errors import (
        AliasNotFound,
        InvalidModelUri,
        ModelNotFound,
        ModelVersionNotFound,
        PackageCorrupted,
        PackageNotFound,
        SignatureMismatch,
    )
    from loopml.models.flavors import Flavor, detect_flavor, get_flavor
    from loopml.models.inference import infer_signature
    from loopml.models.loaded import LoadedModel
    from loopml.models.packages import ModelPackage
    from loopml.models.python_model import PythonModel, PythonModelContext
    from loopml.models.quick import load_model
    from loopml.models.signatures import ColumnSpec, Signature
    from loopml.models.uris import ModelUri, parse_uri
    from loopml.models.writer import build_package, log_model, save_package

__all__ = [
    "AliasChange",
    "AliasNotFound",
    "ColumnSpec",
    "Flavor",
    "InvalidModelUri",
    "LoadedModel",
    "ModelAlias",
    "ModelNotFound",
    "ModelPackage",
    "ModelRegistry",
    "ModelUri",
    "ModelVersion",
    "ModelVersionNotFound",
    "Models",
    "PackageCorrupted",
    "PackageNotFound",
    "PythonModel",
    "PythonModelContext",
    "RegisteredModel",
    "Resolved",
    "Signature",
    "SignatureMismatch",
    "build_package",
    "detect_flavor",
    "get_flavor",
    "infer_signature",
    "load_model",
    "log_model",
    "parse_uri",
    "save_package",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'loopml.models' has no attribute {name!r}")
    value = getattr(
        importlib.import_module(f"loopml.models.{module}"),
        "Models" if name == "ModelRegistry" else name,
    )
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
