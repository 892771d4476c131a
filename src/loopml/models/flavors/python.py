"""Python flavor: an ``lm.PythonModel`` subclass, pickled, with bundled artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from loopml.models.flavors import _common
from loopml.models.python_model import PythonModel, PythonModelContext

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from loopml.models.flavors import PackageFiles
    from loopml.models.signatures import Signature

MODEL_FILE = "python_model.pkl"


@dataclass(frozen=True, slots=True)
class LoadedPythonModel:
    """A loaded :class:`PythonModel` with the context it was prepared with."""

    model: PythonModel
    context: PythonModelContext


class PythonFlavor:
    """Packages :class:`~loopml.models.python_model.PythonModel` subclasses."""

    name: ClassVar[str] = "python"
    packages: ClassVar[tuple[str, ...]] = ("numpy", "pandas", "cloudpickle")

    def accepts(self, model: object) -> bool:
        """Accept ``PythonModel`` instances."""
        return isinstance(model, PythonModel)

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Pickle the instance (by value when its class lives in ``__main__``)."""
        serializer = _common.dump(model, folder / MODEL_FILE)
        return {"file": MODEL_FILE, "serializer": serializer}

    def load(self, files: PackageFiles, options: Mapping[str, Any]) -> Any:
        """Unpickle the instance, give it its artifacts and run ``load_context``."""
        model = _common.load(files.path(str(options["file"])), str(options["serializer"]))
        artifacts: Mapping[str, str] = files.manifest.get("artifacts") or {}
        paths = {}
        if artifacts:
            root = files.folder()
            paths = {name: root / relative for name, relative in artifacts.items()}
        config = dict(files.manifest.get("model_config") or {})
        context = PythonModelContext(paths, config)
        model.load_context(context)
        return LoadedPythonModel(model, context)

    def wants_frame(self, model: Any) -> bool:
        """``predict(context, df)`` always receives a DataFrame."""
        return True

    def check(self, model: Any, signature: Signature) -> None:
        """Python models declare nothing to check against."""

    def predict(self, model: Any, data: Any) -> Any:
        """Call ``predict(context, df)``."""
        return model.model.predict(model.context, data)

    def predict_proba(self, model: Any, data: Any) -> Any | None:
        """Call ``predict_proba(context, df)`` when the class defines it."""
        method = getattr(model.model, "predict_proba", None)
        return None if method is None else method(model.context, data)
