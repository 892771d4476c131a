"""Model CI: gates shared by the closed loop and ``loopml ci``, verdicts and reports.

Pure cores (``stats``, ``verdicts``, ``reports``) do no I/O; ``gates`` judge a
:class:`~loopml.ci.context.GateContext`; ``api.ModelCI`` loads models and labelled rows
from a store, runs the gates and stores the verdict with the challenger's version.
"""

from __future__ import annotations

from loopml.ci.api import ModelCI
from loopml.ci.context import GateContext
from loopml.ci.gates import (
    BeatsChampion,
    BehaviouralTests,
    CompatibleSignature,
    DataValidation,
    Gate,
    LatencyBudget,
    MetricFloor,
    SliceFloor,
    default_gates,
    gate_from_dict,
    gates_from,
)
from loopml.ci.reports import junit_xml, markdown
from loopml.ci.stats import PairedResult, mcnemar, paired_bootstrap
from loopml.ci.verdicts import GateResult, Verdict, too_few_labels

__all__ = [
    "BeatsChampion",
    "BehaviouralTests",
    "CompatibleSignature",
    "DataValidation",
    "Gate",
    "GateContext",
    "GateResult",
    "LatencyBudget",
    "MetricFloor",
    "ModelCI",
    "PairedResult",
    "SliceFloor",
    "Verdict",
    "default_gates",
    "gate_from_dict",
    "gates_from",
    "junit_xml",
    "markdown",
    "mcnemar",
    "paired_bootstrap",
    "too_few_labels",
]
