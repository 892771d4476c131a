"""Model CI: gates shared by the closed loop and ``loopml ci``, verdicts and reports.

Pure cores (``stats``, ``verdicts``, ``reports``) do no I/O; ``gates`` judge a
:class:`~loopml.ci.context.GateContext`; ``api.ModelCI`` loads models and labelled rows
from a store, runs the gates and stores the verdict with the challenger's version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.ci.api import ModelCI as ModelCI
    from loopml.ci.context import GateContext as GateContext
    from loopml.ci.gates import (
        BeatsChampion as BeatsChampion,
        BehaviouralTests as BehaviouralTests,
        CompatibleSignature as CompatibleSignature,
        DataValidation as DataValidation,
        Gate as Gate,
        LatencyBudget as LatencyBudget,
        MetricFloor as MetricFloor,
        SliceFloor as SliceFloor,
        default_gates as default_gates,
        gate_from_dict as gate_from_dict,
        gates_from as gates_from,
    )
    from loopml.ci.reports import junit_xml as junit_xml, markdown as markdown
    from loopml.ci.stats import (
        PairedResult as PairedResult,
        mcnemar as mcnemar,
        paired_bootstrap as paired_bootstrap,
    )
    from loopml.ci.verdicts import (
        GateResult as GateResult,
        Verdict as Verdict,
        too_few_labels as too_few_labels,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
