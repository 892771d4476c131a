"""What a deployment needs to know, as plain data (pure: no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from loopml.errors import InvalidInput

Target = Literal["docker", "k8s", "kserve"]
TARGETS: tuple[str, ...] = ("docker", "k8s", "kserve")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

#: the container's listening port and the server's health routes (Open Inference Protocol)
PORT = 8080
LIVE_PATH = "/v2/health/live"
READY_PATH = "/v2/health/ready"
METRICS_PATH = "/metrics"
#: non-root user of the image
UID = 10001


@dataclass(frozen=True, slots=True)
class DeploySpec:
    """The model, image and sizing of one deployment.

    Args:
        model: registered model name.
        alias: the alias the servers follow (hot swap when it moves); ``None`` pins ``version``.
        version: the version the alias points at now (recorded in labels).
        digest: that version's package digest.
        python: ``major.minor`` of the Python that saved the model (the base image's).
        requirements: pinned ``name==version`` lines for the image.
        name: Kubernetes name (default: the model name made DNS-safe).
        image: image reference the manifests run (default ``<name>:<version>``).
        namespace: Kubernetes namespace (``None``: the current one).
        replicas: the smallest number of pods (HPA minimum).
        max_replicas: the HPA maximum.
        cpu_target: average CPU use (percent of requests) the HPA aims for.
        workers: server processes per pod (``loopml serve --workers``).
        cpu: CPU request per pod; memory: memory request per pod.
        secret: name of the Secret holding LOOPML_DB_URL, LOOPML_ARTIFACTS... for the pods.
    """

    model: str
    alias: str | None
    version: int
    digest: str
    python: str
    requirements: tuple[str, ...]
    name: str = ""
    image: str = ""
    namespace: str | None = None
    replicas: int = 2
    max_replicas: int = 10
    cpu_target: int = 70
    workers: int = 2
    cpu: str = "500m"
    memory: str = "512Mi"
    secret: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", dns_name(self.model))
        if not _NAME.match(self.name) or len(self.name) > 63:
            raise InvalidInput(
                f"deployment name {self.name!r} is not a Kubernetes name; use lowercase "
                "letters, digits and '-' (at most 63), e.g. --name churn-api"
            )
        if not self.image:
            object.__setattr__(self, "image", f"{self.name}:{self.version}")
        if not self.secret:
            object.__setattr__(self, "secret", f"{self.name}-loopml")
        if not 1 <= self.replicas <= self.max_replicas:
            raise InvalidInput(
                f"replicas must be between 1 and max replicas ({self.max_replicas}), "
                f"not {self.replicas}"
            )
        if not 1 <= self.cpu_target <= 100:
            raise InvalidInput(f"CPU target must be a percentage 1-100, not {self.cpu_target}")
        if self.workers < 1:
            raise InvalidInput(f"workers must be at least 1, not {self.workers}")

    @property
    def served_target(self) -> str:
        """What ``loopml serve`` is given: ``churn@champion`` or ``churn/3``."""
        return f"{self.model}@{self.alias}" if self.alias else f"{self.model}/{self.version}"

    def serve_command(self) -> list[str]:
        """The container's command line."""
        command = ["loopml", "serve", self.served_target, "--host", "0.0.0.0"]
        command += ["--port", str(PORT), "--workers", str(self.workers)]
        return command

    def pod_labels(self) -> dict[str, str]:
        """Labels on every object and pod (selector: ``app.kubernetes.io/name``)."""
        return {
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/part-of": "loopml",
            "loopml.dev/model": dns_name(self.model),
            "loopml.dev/model-version": str(self.version),
            **self.labels,
        }


def dns_name(text: str) -> str:
    """Return ``text`` as a DNS-1123 label (lowercase, '-' for anything else)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:63].rstrip("-") or "model"


def check_target(target: str) -> Target:
    """Return ``target`` if it is a known deploy target, else raise :class:`InvalidInput`."""
    if target not in TARGETS:
        raise InvalidInput(f"unknown deploy target {target!r}; use one of {', '.join(TARGETS)}")
    return target  # type: ignore[return-value]
