"""What the server needs from a model: a structural type, met by ``loopml.models.LoadedModel``.

Serving depends on this shape only, so tests can serve hand-written models and any
object with these attributes can be served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


class ColumnLike(Protocol):
    """One column of a signature: a name and a dtype string (``"float64"``, ``"string"``...)."""

    @property
    def name(self) -> str: ...

    @property
    def dtype(self) -> str: ...


class SignatureLike(Protocol):
    """Input and output columns of a model."""

    @property
    def inputs(self) -> Sequence[ColumnLike]: ...

    @property
    def outputs(self) -> Sequence[ColumnLike]: ...


class ServableModel(Protocol):
    """A loaded model version that scores 2-D arrays (columns in signature order)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def signature(self) -> SignatureLike | None: ...

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        """Return one prediction per row of ``x``."""
        ...

    def predict_proba_array(self, x: np.ndarray) -> np.ndarray | None:
        """Return class probabilities per row (``None`` when the model has none)."""
        ...
