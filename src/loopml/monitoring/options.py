"""Drift options: which tests and effect sizes decide, and their thresholds (see drift.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

NumericEffect = Literal["wasserstein", "psi", "ks"]
CategoricalEffect = Literal["jensen_shannon", "psi"]
Correction = Literal["holm", "bonferroni", "none"]

DEFAULT_THRESHOLDS: dict[str, float] = {
    "wasserstein": 0.1,
    "psi": 0.1,
    "ks": 0.05,
    "jensen_shannon": 0.05,
}


@dataclass(frozen=True, slots=True)
class DriftConfig:
    """How columns are tested and when they count as drifted.

    Args:
        alpha: family-wise significance level of one window (over all its columns).
        correction: multiple-testing correction of the column p-values.
        numeric_effect: effect size for numeric columns: ``wasserstein`` (divided by the
            reference std), ``psi`` or ``ks`` (the KS statistic).
        categorical_effect: ``jensen_shannon`` (distance, base 2) or ``psi``.
        numeric_threshold: minimum numeric effect (default per effect, see
            ``DEFAULT_THRESHOLDS``).
        categorical_threshold: minimum categorical effect.
        share_threshold: share of drifted columns at which the dataset drifts.
        min_rows: fewest non-null current values for a column to be tested.
    """

    alpha: float = 0.05
    correction: Correction = "holm"
    numeric_effect: NumericEffect = "wasserstein"
    categorical_effect: CategoricalEffect = "jensen_shannon"
    numeric_threshold: float | None = None
    categorical_threshold: float | None = None
    share_threshold: float = 0.5
    min_rows: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise InvalidInput(f"alpha must be between 0 and 1, not {self.alpha}")
        if self.correction not in ("holm", "bonferroni", "none"):
            raise InvalidInput(
                f"correction must be holm, bonferroni or none, not {self.correction!r}"
            )
        if self.numeric_effect not in ("wasserstein", "psi", "ks"):
            raise InvalidInput(
                f"numeric_effect must be wasserstein, psi or ks, not {self.numeric_effect!r}"
            )
        if self.categorical_effect not in ("jensen_shannon", "psi"):
            raise InvalidInput(
                f"categorical_effect must be jensen_shannon or psi, not {self.categorical_effect!r}"
            )
        if not 0 < self.share_threshold <= 1:
            raise InvalidInput(f"share_threshold must be in (0, 1], not {self.share_threshold}")
        if self.min_rows < 1:
            raise InvalidInput(f"min_rows must be at least 1, not {self.min_rows}")

    @property
    def numeric_gate(self) -> float:
        """The numeric effect threshold in force."""
        if self.numeric_threshold is not None:
            return self.numeric_threshold
        return DEFAULT_THRESHOLDS[self.numeric_effect]

    @property
    def categorical_gate(self) -> float:
        """The categorical effect threshold in force."""
        if self.categorical_threshold is not None:
            return self.categorical_threshold
        return DEFAULT_THRESHOLDS[self.categorical_effect]

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready values."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> DriftConfig:
        """Build a configuration from :meth:`to_dict` output (unknown keys are an error)."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise InvalidInput(
                f"unknown drift option(s) {unknown}; known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**values)
