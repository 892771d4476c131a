"""Model flavors: how one kind of model is saved, loaded and asked for predictions.

Each flavor lives in its own module behind the :class:`Flavor` protocol and is found
by name through the lazy registry (kind ``model_flavors``), so loading a scikit-learn
model never imports XGBoost. Third parties add flavors with an entry point
``model_flavors.<name>`` in the ``loopml.backends`` group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.models.flavors.base import (
        DETECTION_ORDER as DETECTION_ORDER,
        Flavor as Flavor,
        PackageFiles as PackageFiles,
        detect_flavor as detect_flavor,
        get_flavor as get_flavor,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
