"""The closed loop: triggers -> training data -> pipeline -> gates -> canary -> promotion.

``loopml.loop`` is the only package that drives all the others. ``definition`` holds the
declarative :class:`Loop`; ``triggers`` decides what fired; ``runner`` drives one run
through its states; ``canary`` judges live traffic; ``promotion`` moves aliases;
``jobs`` runs loops inside the scheduler under its lease.
"""

from __future__ import annotations

from loopml.loop.api import Loops, read_loops
from loopml.loop.canary import Arm, Decision, judge
from loopml.loop.definition import Loop, Rollout, TrainingData, Trigger
from loopml.loop.promotion import NothingToRollBack
from loopml.loop.records import LoopBusy, LoopEvent, LoopInfo, LoopNotFound, LoopRun
from loopml.loop.runner import Parts
from loopml.loop.training_data import LazyFeatures, NotEnoughLabels, TrainingSet, build_training_set
from loopml.loop.triggers import Firing

__all__ = [
    "Arm",
    "Decision",
    "Firing",
    "LazyFeatures",
    "Loop",
    "LoopBusy",
    "LoopEvent",
    "LoopInfo",
    "LoopNotFound",
    "LoopRun",
    "Loops",
    "NotEnoughLabels",
    "NothingToRollBack",
    "Parts",
    "Rollout",
    "TrainingData",
    "TrainingSet",
    "Trigger",
    "build_training_set",
    "judge",
    "read_loops",
]
