"""OpenLineage export: run events for tracked runs, pipeline runs and steps."""

from __future__ import annotations

from loopml.lineage.openlineage.emitter import OpenLineageEmitter, emitter_for
from loopml.lineage.openlineage.transports import open_transport

__all__ = ["OpenLineageEmitter", "emitter_for", "open_transport"]
