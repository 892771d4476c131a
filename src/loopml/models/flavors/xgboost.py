"""XGBoost flavor: Boosters and scikit-learn-API models in XGBoost's own UBJSON format.

Needs the ``xgboost`` extra: ``pip install 'loopml[xgboost]'``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from loopml import _registry
from loopml.models.errors import SignatureMismatch

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from loopml.models.flavors import PackageFiles
    from loopml.models.signatures import Signature

MODEL_FILE = "model.ubj"


class XGBoostFlavor:
    """Packages ``xgboost.Booster`` and ``XGBClassifier``/``XGBRegressor``/... models."""

    name: ClassVar[str] = "xgboost"
    packages: ClassVar[tuple[str, ...]] = ("xgboost", "numpy", "scikit-learn")

    def accepts(self, model: object) -> bool:
        """Accept objects from the xgboost package that can save themselves."""
        return type(model).__module__.startswith("xgboost") and hasattr(model, "save_model")

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Save with ``save_model`` (portable across XGBoost versions)."""
        model.save_model(str(folder / MODEL_FILE))
        is_booster = type(model).__name__ == "Booster"
        cls = type(model)
        return {
            "file": MODEL_FILE,
            "kind": "booster" if is_booster else "sklearn",
            "class": f"{cls.__module__}:{cls.__qualname__}",
        }

    def load(self, files: PackageFiles, options: Mapping[str, Any]) -> Any:
        """Rebuild the model class and load the saved booster into it."""
        xgb = _registry.import_target("xgboost:Booster")
        data = bytearray(files.path(str(options["file"])).read_bytes())
        if options.get("kind") == "booster":
            booster = xgb()
            booster.load_model(data)
            return booster
        module_name, _, qualname = str(options["class"]).partition(":")
        cls: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        model = cls()
        model.load_model(data)
        return model

    def wants_frame(self, model: Any) -> bool:
        """Models trained with feature names get a DataFrame (XGBoost checks the names)."""
        return bool(_booster(model).feature_names)

    def check(self, model: Any, signature: Signature) -> None:
        """Compare the booster's feature count and names with the signature."""
        booster = _booster(model)
        names = booster.feature_names
        if names and list(names) != signature.input_names:
            raise SignatureMismatch(
                f"the model was trained on features {list(names)} but its signature lists "
                f"{signature.input_names}"
            )
        if booster.num_features() != len(signature.inputs):
            raise SignatureMismatch(
                f"the model takes {booster.num_features()} features but its signature lists "
                f"{len(signature.inputs)}"
            )

    def predict(self, model: Any, data: Any) -> Any:
        """``predict`` for scikit-learn-API models, ``inplace_predict`` for Boosters."""
        if type(model).__name__ == "Booster":
            return model.inplace_predict(data)
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any | None:
        """Class probabilities of classifiers; ``None`` for regressors and Boosters."""
        if type(model).__name__ == "Booster" or not hasattr(model, "predict_proba"):
            return None
        return model.predict_proba(data)


def _booster(model: Any) -> Any:
    return model if type(model).__name__ == "Booster" else model.get_booster()
