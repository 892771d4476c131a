"""What gates judge: the challenger, the champion, the labelled window and the training set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.monitoring.performance import infer_task

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from loopml.data import ValidationReport
    from loopml.models import LoadedModel


@dataclass
class GateContext:
    """Everything a gate may look at (gates only read it).

    Attributes:
        model: the registered model name.
        challenger: the candidate, loaded.
        champion: the version serving now, loaded (``None`` for a first model).
        evaluation: the most recent labelled rows (input columns and ``label``), or ``None``.
        label: the label column of ``evaluation``.
        task: ``classification`` or ``regression`` (default: inferred from the labels).
        validate_training: validates the new training set (``None``: there is none).
        load_fresh: loads the challenger's package again, uncached (latency budgets).
        facts: JSON-ready facts stored with the verdict.
    """

    model: str
    challenger: LoadedModel
    champion: LoadedModel | None = None
    evaluation: pd.DataFrame | None = None
    label: str = "label"
    task: str | None = None
    validate_training: Callable[[Any], ValidationReport] | None = None
    load_fresh: Callable[[], LoadedModel] | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def labelled(self) -> int:
        """How many labelled rows there are to judge on."""
        return 0 if self.evaluation is None else len(self.evaluation)

    def inputs(self) -> pd.DataFrame:
        """The evaluation rows without the label."""
        assert self.evaluation is not None
        return self.evaluation.drop(columns=[self.label])

    def labels(self) -> np.ndarray:
        """The true outcomes of the evaluation rows."""
        assert self.evaluation is not None
        values: np.ndarray = self.evaluation[self.label].to_numpy()
        return values

    def predictions(self, which: str) -> np.ndarray:
        """Predictions of ``challenger`` or ``champion`` on the evaluation rows (cached)."""
        if which not in self._cache:
            model = self.challenger if which == "challenger" else self.champion
            assert model is not None
            self._cache[which] = np.asarray(model.predict(self.inputs()))
        result: np.ndarray = self._cache[which]
        return result

    def resolved_task(self) -> str:
        """The task, inferred from labels and challenger predictions when not given."""
        if self.task:
            return self.task
        task: str = infer_task(self.labels(), self.predictions("challenger"))
        return task
