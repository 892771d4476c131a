"""Model flavors: how one kind of model is saved, loaded and asked for predictions.

The package ``loopml.models.flavors`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from loopml import _registry
from loopml.errors import InvalidInput, UnknownBackend

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from loopml.models.signatures import Signature

#: Detection order: the first flavor whose ``accepts`` is true packages the model.
DETECTION_ORDER = ("python", "xgboost", "lightgbm", "sklearn")


class PackageFiles(Protocol):
    """The files of a stored package, as verified local paths (see ``loopml.models.packages``)."""

    @property
    def manifest(self) -> Mapping[str, Any]:
        """The package manifest."""
        ...

    def path(self, name: str) -> Path:
        """Return a verified local file holding the package file ``name``."""
        ...

    def folder(self) -> Path:
        """Return a folder holding every package file under its own name."""
        ...


class Flavor(Protocol):
    """One kind of model: detection, saving, loading and prediction.

    ``save`` writes files into a folder and returns the options the loader needs (they
    go into the manifest); ``load`` rebuilds the native model from the package files;
    ``predict`` and ``predict_proba`` call it on a 2-D array or a DataFrame, whichever
    ``wants_frame`` asks for.
    """

    name: ClassVar[str]
    #: distributions whose versions are recorded in the manifest and requirements
    packages: ClassVar[tuple[str, ...]]

    def accepts(self, model: object) -> bool:
        """Whether this flavor can package ``model``."""
        ...

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Write the model's files into ``folder``; return the loader's options."""
        ...

    def load(self, files: PackageFiles, options: Mapping[str, Any]) -> Any:
        """Rebuild the native model from the package files."""
        ...

    def wants_frame(self, model: Any) -> bool:
        """Whether ``predict`` needs a named DataFrame instead of a 2-D array."""
        ...

    def check(self, model: Any, signature: Signature) -> None:
        """Raise ``SignatureMismatch`` if the model cannot take the signature's inputs."""
        ...

    def predict(self, model: Any, data: Any) -> Any:
        """Return the model's predictions for ``data``."""
        ...

    def predict_proba(self, model: Any, data: Any) -> Any | None:
        """Return class probabilities, or ``None`` when the model has none."""
        ...


def get_flavor(name: str) -> Flavor:
    """Return the flavor registered as ``name``.

    Raises:
        InvalidInput: no such flavor.
        MissingDependency: the flavor needs an optional package that is not installed.
    """
    # Built-in flavors first: looking at installed entry points costs a metadata scan.
    target = _registry.BUILTIN["model_flavors"].get(name)
    try:
        target = target or _registry.lookup("model_flavors", name)
    except UnknownBackend as err:
        known = sorted(_registry.BUILTIN.get("model_flavors", {}))
        raise InvalidInput(f"unknown model flavor {name!r}; known flavors: {known}") from err
    flavor: Flavor = _registry.import_target(target)()
    return flavor


def detect_flavor(model: object) -> Flavor:
    """Return the flavor that packages ``model``.

    Raises:
        InvalidInput: no flavor recognises the model (the message says what to do).
    """
    for name in DETECTION_ORDER:
        if _may_accept(name, model):
            flavor = get_flavor(name)
            if flavor.accepts(model):
                return flavor
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    raise InvalidInput(
        f"no model flavor recognises a {kind}; loopml packages scikit-learn estimators and "
        "pipelines, XGBoost and LightGBM models, and lm.PythonModel subclasses. Wrap other "
        "models in an lm.PythonModel subclass with predict(context, df)."
    )


def _may_accept(name: str, model: object) -> bool:
    # Cheap checks by module name, so detection never imports an optional library.
    module = type(model).__module__.split(".")[0]
    if name in {"xgboost", "lightgbm"}:
        return module == name
    return True
