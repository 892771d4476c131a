"""``lm.PythonModel``: any Python code as a model, with its own pre- and post-processing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class PythonModelContext:
    """What a :class:`PythonModel` gets at load and predict time.

    Attributes:
        artifacts: artifact name -> local path of the file or folder bundled with the model.
        model_config: the ``model_config`` mapping given to ``log_model``.
    """

    artifacts: dict[str, Path] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Base class for custom models: subclass it and implement :meth:`predict`.

    Files passed as ``artifacts={"name": path}`` to ``log_model`` travel inside the
    package; :meth:`load_context` runs once after loading and may read them.

    Example:
        >>> import loopml as lm
        >>> class Doubler(lm.PythonModel):
        ...     def predict(self, context, df):
        ...         return df["x"] * 2
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Prepare the model after loading (read artifacts, load inner models)."""

    def predict(self, context: PythonModelContext, df: Any) -> Any:
        """Return predictions for the rows of the pandas DataFrame ``df``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement predict(self, context, df)"
        )
