"""LightGBM flavor: Boosters in LightGBM's text format, scikit-learn-API models pickled.

Needs the ``lightgbm`` extra: ``pip install 'loopml[lightgbm]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from loopml import _registry
from loopml.models.errors import SignatureMismatch
from loopml.models.flavors import _common

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from loopml.models.flavors import PackageFiles
    from loopml.models.signatures import Signature

BOOSTER_FILE = "model.txt"
SKLEARN_FILE = "model.pkl"


class LightGBMFlavor:
    """Packages ``lightgbm.Booster`` and ``LGBMClassifier``/``LGBMRegressor``/... models."""

    name: ClassVar[str] = "lightgbm"
    packages: ClassVar[tuple[str, ...]] = ("lightgbm", "numpy", "scikit-learn")

    def accepts(self, model: object) -> bool:
        """Accept Boosters and scikit-learn-API models of the lightgbm package."""
        return type(model).__module__.startswith("lightgbm") and (
            hasattr(model, "save_model") or hasattr(model, "booster_")
        )

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Boosters: the text format; scikit-learn-API models: pickle (keeps the wrapper)."""
        if type(model).__name__ == "Booster":
            model.save_model(str(folder / BOOSTER_FILE))
            return {"file": BOOSTER_FILE, "kind": "booster"}
        serializer = _common.dump(model, folder / SKLEARN_FILE)
        return {"file": SKLEARN_FILE, "kind": "sklearn", "serializer": serializer}

    def load(self, files: PackageFiles, options: Mapping[str, Any]) -> Any:
        """Load the Booster from text, or unpickle the scikit-learn-API model."""
        path = files.path(str(options["file"]))
        if options.get("kind") == "booster":
            booster = _registry.import_target("lightgbm:Booster")
            return booster(model_str=path.read_text())
        _registry.import_target("lightgbm:LGBMModel")
        return _common.load(path, str(options.get("serializer", "pickle")))

    def wants_frame(self, model: Any) -> bool:
        """Models fitted on a DataFrame get one."""
        return getattr(model, "feature_names_in_", None) is not None

    def check(self, model: Any, signature: Signature) -> None:
        """Compare the feature count (and names, when fitted on a frame) with the signature."""
        if type(model).__name__ != "Booster":
            _common.check_features(model, signature)
            return
        if model.num_feature() != len(signature.inputs):
            raise SignatureMismatch(
                f"the model takes {model.num_feature()} features but its signature lists "
                f"{len(signature.inputs)}"
            )

    def predict(self, model: Any, data: Any) -> Any:
        """Call ``predict``."""
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any | None:
        """Class probabilities of classifiers; ``None`` for regressors and Boosters."""
        if type(model).__name__ == "Booster" or not hasattr(model, "predict_proba"):
            return None
        return model.predict_proba(data)
