"""``LoadedModel``: what ``lm.load_model`` returns, with signature-checked predictions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.models import inputs

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import numpy as np

    from loopml.models.flavors import Flavor
    from loopml.models.signatures import Signature


class LoadedModel:
    """A model ready to predict, with where it came from.

    Attributes:
        name: registered model name (``None`` when loaded from a run).
        version: registered version (``None`` when loaded from a run).
        uri: the URI it was loaded from.
        flavor: flavor name (``sklearn``, ``xgboost``, ``lightgbm``, ``python``).
        signature: the input/output signature, when one was recorded.
        digest: the package digest (identical content, identical digest).
        run_id: the run that logged the package, when known.
        manifest: the package manifest.

    Example:
        >>> model = lm.load_model("models:/churn@champion")  # doctest: +SKIP
        >>> model.predict([{"tenure": 3, "plan": "pro"}])  # doctest: +SKIP
    """

    __slots__ = (
        "_flavor",
        "_native",
        "_wants_frame",
        "digest",
        "flavor",
        "manifest",
        "name",
        "run_id",
        "signature",
        "uri",
        "version",
    )

    def __init__(
        self,
        *,
        flavor: Flavor,
        native: Any,
        manifest: Mapping[str, Any],
        signature: Signature | None,
        digest: str,
        uri: str,
        name: str | None = None,
        version: int | None = None,
        run_id: str | None = None,
    ) -> None:
        self._flavor = flavor
        self._native = native
        self._wants_frame = flavor.wants_frame(native)
        self.flavor = flavor.name
        self.manifest = manifest
        self.signature = signature
        self.digest = digest
        self.uri = uri
        self.name = name
        self.version = version
        self.run_id = run_id

    def __repr__(self) -> str:
        where = f"{self.name}/{self.version}" if self.name else self.uri
        return f"LoadedModel({where}, flavor={self.flavor!r}, digest={self.digest[:12]})"

    @property
    def native(self) -> Any:
        """The underlying model object (estimator, Booster, PythonModel...)."""
        return self._native

    @property
    def wants_frame(self) -> bool:
        """Whether the model is called with a named DataFrame rather than a 2-D array."""
        return self._wants_frame

    def predict(self, data: Any) -> Any:
        """Predict for a DataFrame, records (list of dicts), a dict of columns or an array.

        Inputs are checked against the signature first: missing columns and values of the
        wrong type raise :class:`~loopml.models.errors.SignatureMismatch` naming the field.
        """
        prepared = inputs.prepare(self.signature, data, wants_frame=self._wants_frame)
        return self._flavor.predict(self._native, prepared)

    def predict_proba(self, data: Any) -> Any | None:
        """Class probabilities for checked input, or ``None`` when the model has none."""
        prepared = inputs.prepare(self.signature, data, wants_frame=self._wants_frame)
        return self._flavor.predict_proba(self._native, prepared)

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        """Fast path: predict a 2-D array whose columns follow ``signature.inputs``.

        Nothing is checked beyond what the model itself checks; validate before calling.
        """
        data = self._array_input(x)
        result: np.ndarray = self._flavor.predict(self._native, data)
        return result

    def array_predictor(self, *, validated: bool = False) -> Callable[[np.ndarray], Any]:
        """The shortest callable that does what :meth:`predict_array` does.

        The model's own ``predict`` when the flavor can hand it out (a model server
        calls it once per request), else :meth:`predict_array`. ``validated``: the
        caller guarantees finite floats, with NaN only where the model takes missing
        values, so the flavor may skip its own scan of the input (scikit-learn's).
        """
        direct = getattr(self._flavor, "predictor", None)
        if direct is None:
            return self.predict_array
        predict: Callable[[Any], Any] = direct(self._native, validated=validated)
        if not self._wants_frame:
            return predict
        to_input = self._array_input
        return lambda x: predict(to_input(x))

    def predict_proba_array(self, x: np.ndarray) -> np.ndarray | None:
        """Fast path of :meth:`predict_proba`; ``None`` when the model has no probabilities."""
        result: np.ndarray | None = self._flavor.predict_proba(self._native, self._array_input(x))
        return result

    def _array_input(self, x: np.ndarray) -> Any:
        if not self._wants_frame:
            return x
        if self.signature is None:
            import pandas as pd

            return pd.DataFrame(x)
        return inputs.array_to_frame(self.signature, x)
