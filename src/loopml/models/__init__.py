"""Model packages, flavors, signatures and the model registry (versions, aliases, history).

``run.log_model(model, "model", example=X[:5])`` writes a self-describing package;
``lm.register_model(ref, "churn")`` makes it a version; aliases such as ``champion``
point at versions and every move is kept; ``lm.load_model("models:/churn@champion")``
loads straight from verified blob files, cached by package digest. See docs/models.md.
"""

from __future__ import annotations

from loopml.models.api import Models, Resolved
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
from loopml.models.signatures import ColumnSpec, Signature
from loopml.models.uris import ModelUri, parse_uri
from loopml.models.writer import build_package, log_model, save_package

#: The registry and loader of one store (the name the model server looks up).
ModelRegistry = Models

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
    "log_model",
    "parse_uri",
    "save_package",
]
