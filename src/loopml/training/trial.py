"""One trial as the objective sees it: its parameters, its run, and pruning reports."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

    from loopml.tracking import Run


class Trial:
    """A trial of a study: ``trial.params`` to train with, ``trial.report`` to allow pruning.

    The trial's child run is active while the objective runs, so ``lm.log_metric`` and
    friends record into it; it is also ``trial.run``.

    Example:
        >>> def objective(trial):  # doctest: +SKIP
        ...     model = fit(lr=trial.params["lr"])
        ...     for epoch in range(10):
        ...         trial.report(validate(model), step=epoch)  # may stop a bad trial early
        ...     return validate(model)
    """

    def __init__(self, optuna_trial: optuna.Trial, run: Run, metric: str) -> None:
        self.optuna_trial = optuna_trial
        self.run = run
        self.metric = metric
        self.params: dict[str, Any] = dict(optuna_trial.params)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r}, run={self.run.id!r})"

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    @property
    def number(self) -> int:
        """The trial's number in its study (0, 1, ...)."""
        return int(self.optuna_trial.number)

    def report(self, value: float, step: int) -> None:
        """Record an intermediate value; raise ``optuna.TrialPruned`` if the trial should stop.

        The value is logged on the trial's run as the metric's history at ``step``.
        """
        import optuna

        number = float(value)
        self.run.log_metric(self.metric, number, step=step)
        if math.isfinite(number):
            self.optuna_trial.report(number, step)
        if self.optuna_trial.should_prune():
            raise optuna.TrialPruned(f"pruned at step {step} with {self.metric}={number:.6g}")

    def should_prune(self) -> bool:
        """Whether the pruner would stop this trial now (after :meth:`report`)."""
        return bool(self.optuna_trial.should_prune())
