"""Helpers shared by flavors: pickling with a cloudpickle fallback, feature checks."""

from __future__ import annotations

import logging
import pickle
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.errors import InvalidInput
from loopml.models.errors import SignatureMismatch

if TYPE_CHECKING:
    from pathlib import Path

    from loopml.models.signatures import Signature

logger = logging.getLogger(__name__)


def dump(model: Any, path: Path) -> str:
    """Pickle ``model`` to ``path``; return the serializer used.

    Plain pickle is tried first (fastest to load, no extra import); objects it cannot
    handle (lambdas, classes defined in ``__main__``) fall back to cloudpickle.
    """
    if _by_value_needed(model):
        return _cloudpickle(model, path)
    try:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        logger.debug("pickle failed (%s); trying cloudpickle", err)
        return _cloudpickle(model, path)
    path.write_bytes(data)
    return "pickle"


def load(path: Path, serializer: str) -> Any:
    """Unpickle a model written by :func:`dump`."""
    if serializer == "cloudpickle":
        _registry.import_target("cloudpickle:loads")
    with open(path, "rb") as handle:
        return pickle.load(handle)  # packages are verified by digest


def _cloudpickle(model: Any, path: Path) -> str:
    cloudpickle = _registry.import_target("cloudpickle:dumps")
    try:
        path.write_bytes(cloudpickle(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as err:
        raise InvalidInput(
            f"cannot serialise the {type(model).__name__} model: {err}. Make it picklable, "
            "or wrap it in an lm.PythonModel that rebuilds it from artifacts in load_context"
        ) from err
    return "cloudpickle"


def _by_value_needed(model: Any) -> bool:
    # A class defined in __main__ pickles by reference to a module the loading process
    # does not have; cloudpickle stores it by value instead.
    return type(model).__module__ == "__main__"


def check_features(model: Any, signature: Signature) -> None:
    """Compare a fitted estimator's ``n_features_in_``/``feature_names_in_`` with the inputs."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        expected = [str(n) for n in names]
        if expected != signature.input_names:
            missing = [n for n in expected if n not in signature.input_names]
            field = missing[0] if missing else None
            raise SignatureMismatch(
                f"the model was fitted on columns {expected} but its signature lists "
                f"{signature.input_names}; log it again with an example of its training columns",
                field=field,
            )
        return
    count = getattr(model, "n_features_in_", None)
    if isinstance(count, int) and count != len(signature.inputs):
        raise SignatureMismatch(
            f"the model takes {count} features but its signature lists "
            f"{len(signature.inputs)}: {signature.input_names}"
        )
