"""Hyper-parameter search on Optuna, in loopml: a study run with one child run per trial."""

from __future__ import annotations

from loopml.training.errors import StudyNotFound
from loopml.training.report import StudySummary, TrialRow, history, history_svg, html_report
from loopml.training.study import Tuner, TuneResult
from loopml.training.trial import Trial

__all__ = [
    "StudyNotFound",
    "StudySummary",
    "Trial",
    "TrialRow",
    "TuneResult",
    "Tuner",
    "history",
    "history_svg",
    "html_report",
]
