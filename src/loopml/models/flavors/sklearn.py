"""scikit-learn flavor: any fitted estimator or Pipeline, pickled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from loopml.models.flavors import _common

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from loopml.models.flavors import PackageFiles
    from loopml.models.signatures import Signature

MODEL_FILE = "model.pkl"


class SklearnFlavor:
    """Packages scikit-learn estimators and pipelines (and anything with their API)."""

    name: ClassVar[str] = "sklearn"
    packages: ClassVar[tuple[str, ...]] = ("scikit-learn", "numpy", "scipy")

    def accepts(self, model: object) -> bool:
        """Accept fitted objects with ``predict`` and ``get_params`` (the estimator API)."""
        return callable(getattr(model, "predict", None)) and callable(
            getattr(model, "get_params", None)
        )

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Pickle the estimator into ``folder``."""
        serializer = _common.dump(model, folder / MODEL_FILE)
        return {"file": MODEL_FILE, "serializer": serializer}

    def load(self, files: PackageFiles, options: Mapping[str, Any]) -> Any:
        """Unpickle the estimator straight from its verified blob file."""
        return _common.load(files.path(str(options["file"])), str(options["serializer"]))

    def wants_frame(self, model: Any) -> bool:
        """Estimators fitted on a DataFrame want one (they check or select by name)."""
        return getattr(model, "feature_names_in_", None) is not None

    def check(self, model: Any, signature: Signature) -> None:
        """Compare the fitted feature names or count with the signature."""
        _common.check_features(model, signature)

    def predict(self, model: Any, data: Any) -> Any:
        """Call ``model.predict``."""
        return model.predict(data)

    def predictor(self, model: Any, *, validated: bool = False) -> Callable[[Any], Any]:
        """``model.predict`` itself, or for ``validated`` input a call that skips its scan.

        ``validated``: the caller guarantees finite floats, with NaN only where the model
        takes missing values (a model server's validator after warm-up), so
        scikit-learn's own finiteness scan of the input, a tenth of a one-row
        ``predict``, is skipped (``assume_finite`` for the call, in this thread only).
        """
        predict: Callable[[Any], Any] = model.predict
        if not validated:
            return predict
        from sklearn import get_config, set_config

        def predict_validated(data: Any) -> Any:
            if get_config()["assume_finite"]:
                return predict(data)
            set_config(assume_finite=True)
            try:
                return predict(data)
            finally:
                set_config(assume_finite=False)

        return predict_validated

    def predict_proba(self, model: Any, data: Any) -> Any | None:
        """Call ``model.predict_proba`` when the estimator has it."""
        if not hasattr(model, "predict_proba"):
            return None
        return model.predict_proba(data)
