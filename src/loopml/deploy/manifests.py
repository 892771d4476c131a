"""Kubernetes Deployment, Service and HorizontalPodAutoscaler, or a KServe InferenceService.

Pure functions from a :class:`DeploySpec` to manifest dictionaries; probes use the
server's Open Inference Protocol health routes and Prometheus finds ``/metrics`` through
the usual scrape annotations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.deploy.spec import LIVE_PATH, METRICS_PATH, PORT, READY_PATH, UID

if TYPE_CHECKING:
    from loopml.deploy.spec import DeploySpec


def _metadata(spec: DeploySpec, name: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name or spec.name, "labels": spec.pod_labels()}
    if spec.namespace:
        meta["namespace"] = spec.namespace
    return meta


def _probe(path: str, *, initial: int, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": initial,
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def container(spec: DeploySpec) -> dict[str, Any]:
    """The model-server container (shared by the Deployment and KServe)."""
    return {
        "name": "model-server",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": spec.serve_command()[1:],
        "command": ["loopml"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "envFrom": [{"secretRef": {"name": spec.secret}}],
        "env": [{"name": "LOOPML_LOG_LEVEL", "value": "INFO"}],
        "resources": {
            "requests": {"cpu": spec.cpu, "memory": spec.memory},
            "limits": {"memory": spec.memory},
        },
        # A model loads before the server answers; the startup probe gives it time, then
        # readiness takes a pod out of the Service and liveness restarts a stuck one.
        "startupProbe": _probe(LIVE_PATH, initial=5, period=5, failures=60),
        "readinessProbe": _probe(READY_PATH, initial=0, period=5, failures=3),
        "livenessProbe": _probe(LIVE_PATH, initial=0, period=10, failures=3),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def deployment(spec: DeploySpec) -> dict[str, Any]:
    """An ``apps/v1`` Deployment of ``spec.replicas`` model-server pods."""
    selector = {"app.kubernetes.io/name": spec.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(spec),
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": selector},
            # Roll one pod at a time and never drop below the wanted count.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {
                    "labels": spec.pod_labels(),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(PORT),
                        "prometheus.io/path": METRICS_PATH,
                    },
                },
                "spec": {
                    "containers": [container(spec)],
                    "securityContext": {"runAsNonRoot": True, "fsGroup": UID},
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
    }


def service(spec: DeploySpec) -> dict[str, Any]:
    """A ClusterIP Service on port 80 in front of the pods."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(spec),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": spec.name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(spec: DeploySpec) -> dict[str, Any]:
    """An ``autoscaling/v2`` HorizontalPodAutoscaler on average CPU use."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(spec),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": spec.replicas,
            "maxReplicas": spec.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": spec.cpu_target},
                    },
                }
            ],
        },
    }


def inference_service(spec: DeploySpec) -> dict[str, Any]:
    """A KServe ``InferenceService`` whose custom predictor speaks the V2 protocol."""
    predictor_container = container(spec)
    predictor_container["name"] = "kserve-container"
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            **_metadata(spec),
            "annotations": {
                "serving.kserve.io/enable-prometheus-scraping": "true",
                "prometheus.kserve.io/port": str(PORT),
                "prometheus.kserve.io/path": METRICS_PATH,
            },
        },
        "spec": {
            "predictor": {
                "minReplicas": spec.replicas,
                "maxReplicas": spec.max_replicas,
                "scaleMetric": "cpu",
                "scaleTarget": spec.cpu_target,
                "protocolVersion": "v2",
                "containers": [predictor_container],
            }
        },
    }
