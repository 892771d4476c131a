"""The closed loop: triggers -> training data -> pipeline -> gates -> canary -> promotion.

``loopml.loop`` is the only package that drives all the others. ``definition`` holds the
declarative :class:`Loop`; ``triggers`` decides what fired; ``runner`` drives one run
through its states; ``canary`` judges live traffic; ``promotion`` moves aliases;
``jobs`` runs loops inside the scheduler under its lease.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.loop.api import Loops as Loops, read_loops as read_loops
    from loopml.loop.canary import Arm as Arm, Decision as Decision, judge as judge
    from loopml.loop.definition import (
        Loop as Loop,
        Rollout as Rollout,
        TrainingData as TrainingData,
        Trigger as Trigger,
    )
    from loopml.loop.promotion import NothingToRollBack as NothingToRollBack
    from loopml.loop.records import (
        LoopBusy as LoopBusy,
        LoopEvent as LoopEvent,
        LoopInfo as LoopInfo,
        LoopNotFound as LoopNotFound,
        LoopRun as LoopRun,
    )
    from loopml.loop.runner import Parts as Parts
    from loopml.loop.training_data import (
        LazyFeatures as LazyFeatures,
        NotEnoughLabels as NotEnoughLabels,
        TrainingSet as TrainingSet,
        build_training_set as build_training_set,
    )
    from loopml.loop.triggers import Firing as Firing
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
