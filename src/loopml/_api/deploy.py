"""``lm.deploy_model``, ``lm.collect_garbage``, ``lm.apply_retention``: scale-out tools."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.deploy import Deployer
from loopml.store.housekeeping import Housekeeping


def _deployer() -> Deployer:
    """Return the default client's deployer."""
    return get_client().deployer


deploy_model = forward(Deployer.deploy, _deployer, name="deploy_model")


def _housekeeping() -> Housekeeping:
    """Return the default client's housekeeping."""
    return get_client().housekeeping


collect_garbage = forward(Housekeeping.collect_garbage, _housekeeping)
apply_retention = forward(Housekeeping.apply_retention, _housekeeping)
