"""``lm.deploy_model``: delivery artifacts (Dockerfile, Kubernetes, KServe) for a model."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.deploy import Deployer


def _deployer() -> Deployer:
    """Return the default client's deployer."""
    return get_client().deployer


deploy_model = forward(Deployer.deploy, _deployer, name="deploy_model")
