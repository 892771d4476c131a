"""Paired tests of a challenger against a champion on the same labelled rows (pure).

McNemar's exact test compares two classifiers through the rows only one of them gets
right; a paired bootstrap compares two regressors through the per-row difference of
their errors. Both say whether the challenger is better than the champion by at least a
margin, with a one-sided p-value.

Example:
    >>> result = mcnemar([True, True, False, False], [True, True, True, True], margin=0.0)
    >>> result.challenger_only, result.champion_only
    (2, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True, slots=True)
class PairedResult:
    """A paired comparison of challenger and champion on ``n`` rows.

    Attributes:
        test: ``mcnemar`` or ``paired_bootstrap``.
        n: rows compared.
        champion: the champion's score (accuracy, or mean absolute error).
        challenger: the challenger's score.
        difference: challenger minus champion, in the "higher is better" direction.
        margin: the improvement required.
        p_value: one-sided p-value that the challenger is not better by ``margin``.
        champion_only: rows only the champion gets right (McNemar).
        challenger_only: rows only the challenger gets right (McNemar).
        ci_low: lower end of the 95 % interval of ``difference`` (bootstrap).
        ci_high: upper end of that interval (bootstrap).
    """

    test: str
    n: int
    champion: float
    challenger: float
    difference: float
    margin: float
    p_value: float
    champion_only: int = 0
    challenger_only: int = 0
    ci_low: float | None = None
    ci_high: float | None = None

    def beats(self, alpha: float) -> bool:
        """Whether the challenger is better by ``margin`` at significance ``alpha``.

        With ``alpha >= 1`` only the observed difference counts (no significance needed).
        """
        if self.difference < self.margin:
            return False
        return alpha >= 1.0 or self.p_value <= alpha

    def not_worse(self, alpha: float) -> bool:
        """Whether the challenger is no worse than ``margin`` below the champion.

        Used when ``margin`` is negative (a tolerated loss): the observed difference must
        be above it; significance is only asked of improvements.
        """
        return self.difference >= self.margin

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON-ready evidence."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def mcnemar(
    champion_correct: np.ndarray | list[bool],
    challenger_correct: np.ndarray | list[bool],
    *,
    margin: float = 0.0,
) -> PairedResult:
    """McNemar's exact (binomial) one-sided test on paired correctness.

    The margin shifts the null hypothesis: the challenger must win at least ``margin * n``
    more discordant rows than the champion.
    """
    a = np.asarray(champion_correct, dtype=bool)
    b = np.asarray(challenger_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired rows differ in length: {a.shape} and {b.shape}")
    n = int(a.size)
    champion_only = int(np.sum(a & ~b))
    challenger_only = int(np.sum(~a & b))
    discordant = champion_only + challenger_only
    shift = int(np.ceil(margin * n)) if margin > 0 else 0
    if discordant == 0:
        p_value = 1.0
    else:
        # P(wins >= observed) under "each discordant row is a coin flip", after the margin
        wins = challenger_only - shift
        p_value = float(stats.binom.sf(wins - 1, discordant, 0.5)) if wins > 0 else 1.0
    champion_acc = float(a.mean()) if n else 0.0
    challenger_acc = float(b.mean()) if n else 0.0
    return PairedResult(
        "mcnemar", n, champion_acc, challenger_acc, challenger_acc - champion_acc, margin,
        p_value, champion_only, challenger_only,
    )  # fmt: skip


def paired_bootstrap(
    champion_error: np.ndarray | list[float],
    challenger_error: np.ndarray | list[float],
    *,
    margin: float = 0.0,
    resamples: int = 2000,
    seed: int = 0,
) -> PairedResult:
    """Paired bootstrap of the mean absolute error difference (champion - challenger).

    ``difference`` is how much lower the challenger's mean error is (positive = better);
    the p-value is the share of resamples where that improvement is below ``margin``.
    """
    a = np.abs(np.asarray(champion_error, dtype=np.float64))
    b = np.abs(np.asarray(challenger_error, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError(f"paired rows differ in length: {a.shape} and {b.shape}")
    n = int(a.size)
    if n == 0:
        return PairedResult("paired_bootstrap", 0, 0.0, 0.0, 0.0, margin, 1.0)
    gain = a - b
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    means = gain[index].mean(axis=1)
    p_value = float(np.mean(means <= margin)) if margin >= 0 else float(np.mean(means < margin))
    low, high = np.quantile(means, [0.025, 0.975])
    return PairedResult(
        "paired_bootstrap", n, float(a.mean()), float(b.mean()), float(gain.mean()), margin,
        p_value, ci_low=float(low), ci_high=float(high),
    )  # fmt: skip
