"""OpenLineage export: run events for tracked runs, pipeline runs and steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.lineage.openlineage.emitter import (
        OpenLineageEmitter as OpenLineageEmitter,
        emitter_for as emitter_for,
    )
    from loopml.lineage.openlineage.transports import open_transport as open_transport
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
