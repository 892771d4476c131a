"""Delivery artifacts: a Dockerfile, Kubernetes manifests or a KServe InferenceService.

``loopml deploy --target docker|k8s|kserve churn@champion OUTDIR`` writes what a cluster
needs to run ``loopml serve`` for a registered model: an image recipe whose requirements
are pinned from the model package's own environment, and manifests whose probes use the
server's health routes. See docs/deployment.md.
"""

from __future__ import annotations

from loopml.deploy.api import Deployer, DeployResult
from loopml.deploy.spec import DeploySpec

__all__ = ["DeployResult", "DeploySpec", "Deployer"]
