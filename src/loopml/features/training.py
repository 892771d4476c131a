"""Training sets: a historical retrieval logged as a dataset version, with its lineage.

The version's content is the exact training data (content-addressed), and lineage links it
to every feature view version it read (``derived_from``), each of which links to its
source; dataset sources are pinned to the version actually read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput
from loopml.features.registry import view_node
from loopml.features.retrieval import LINEAGE_ATTR
from loopml.store.lineage import Node

if TYPE_CHECKING:
    import pandas as pd


def upstream(frame: pd.DataFrame) -> tuple[list[Node], dict[str, Any]]:
    """Return the lineage nodes and metadata recorded on a retrieval result.

    Raises:
        InvalidInput: ``frame`` was not returned by ``get_historical_features``.
    """
    recorded = getattr(frame, "attrs", {}).get(LINEAGE_ATTR)
    if not isinstance(recorded, dict) or not recorded.get("views"):
        raise InvalidInput(
            "this DataFrame carries no feature lineage (attrs['loopml.features']); log the "
            "result of fs.get_historical_features(...) itself, or lm.log_dataset for other data"
        )
    nodes: list[Node] = []
    for view in recorded["views"]:
        nodes.append(view_node(view["view"], int(view["version"])))
        if "dataset_version" in view:
            nodes.append(Node("dataset_version", view["dataset_version"]))
    features = [f"{v['view']}@{v['version']}:{f}" for v in recorded["views"] for f in v["features"]]
    metadata = {
        "kind": "training_set",
        "features": features,
        "timestamp": recorded.get("timestamp"),
        "known_at": recorded.get("known_at"),
        "views": recorded["views"],
    }
    return nodes, metadata
