"""Model packages, flavors, signatures and the model registry (versions, aliases, history).

``run.log_model(model, "model", example=X[:5])`` writes a self-describing package;
``lm.register_model(ref, "churn")`` makes it a version; aliases such as ``champion``
point at versions and every move is kept; ``lm.load_model("models:/churn@champion")``
loads straight from verified blob files, cached by package digest. See docs/models.md.

The package loads lazily (PEP 562): ``loopml.models.quick.load_model`` in a fresh process
imports neither SQLAlchemy nor the registry, only what loading a package needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.models.api import (
        ModelRegistry as ModelRegistry,
        Models as Models,
        Resolved as Resolved,
    )
    from loopml.models.entities import (
        AliasChange as AliasChange,
        ModelAlias as ModelAlias,
        ModelVersion as ModelVersion,
        RegisteredModel as RegisteredModel,
    )
    from loopml.models.errors import (
        AliasNotFound as AliasNotFound,
        InvalidModelUri as InvalidModelUri,
        ModelNotFound as ModelNotFound,
        ModelVersionNotFound as ModelVersionNotFound,
        PackageCorrupted as PackageCorrupted,
        PackageNotFound as PackageNotFound,
        SignatureMismatch as SignatureMismatch,
    )
    from loopml.models.flavors import (
        Flavor as Flavor,
        detect_flavor as detect_flavor,
        get_flavor as get_flavor,
    )
    from loopml.models.inference import infer_signature as infer_signature
    from loopml.models.loaded import LoadedModel as LoadedModel
    from loopml.models.packages import ModelPackage as ModelPackage
    from loopml.models.python_model import (
        PythonModel as PythonModel,
        PythonModelContext as PythonModelContext,
    )
    from loopml.models.quick import load_model as load_model
    from loopml.models.signatures import ColumnSpec as ColumnSpec, Signature as Signature
    from loopml.models.uris import ModelUri as ModelUri, parse_uri as parse_uri
    from loopml.models.writer import (
        build_package as build_package,
        log_model as log_model,
        save_package as save_package,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
