"""Delivery artifacts: a Dockerfile, Kubernetes manifests or a KServe InferenceService.

``loopml deploy --target docker|k8s|kserve churn@champion OUTDIR`` writes what a cluster
needs to run ``loopml serve`` for a registered model: an image recipe whose requirements
are pinned from the model package's own environment, and manifests whose probes use the
server's health routes. See docs/deployment.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.deploy.api import Deployer as Deployer, DeployResult as DeployResult
    from loopml.deploy.spec import DeploySpec as DeploySpec
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
