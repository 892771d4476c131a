"""Hyper-parameter search on Optuna, in loopml: a study run with one child run per trial."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.training.errors import StudyNotFound as StudyNotFound
    from loopml.training.report import (
        StudySummary as StudySummary,
        TrialRow as TrialRow,
        history as history,
        history_svg as history_svg,
        html_report as html_report,
    )
    from loopml.training.study import Tuner as Tuner, TuneResult as TuneResult
    from loopml.training.trial import Trial as Trial
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
