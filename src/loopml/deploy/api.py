"""``Deployer``: resolve a registered model and write its delivery artifacts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from loopml._utils.digits import is_digits
from loopml.deploy import dockerfile, manifests
from loopml.deploy.spec import DeploySpec, check_target
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    import os

    from loopml.models import Models

logger = logging.getLogger(__name__)

#: what the server needs beyond the model's own packages to reach the team stack
SERVER_PACKAGES = ("loopml", "uvicorn", "psycopg", "psycopg-binary", "s3fs", "prometheus-client")


@dataclass(frozen=True, slots=True)
class DeployResult:
    """What ``deploy`` wrote.

    Attributes:
        target: ``docker``, ``k8s`` or ``kserve``.
        spec: the resolved deployment (model, version, image, sizing).
        outdir: the folder written.
        files: the files written, relative to ``outdir``.
    """

    target: str
    spec: DeploySpec
    outdir: Path
    files: list[str]


class Deployer:
    """Writes Dockerfiles and manifests for models of one registry.

    Args:
        models: the model registry (``client.models``).
    """

    def __init__(self, models: Models) -> None:
        self.models = models

    def spec(self, model: str, **sizing: Any) -> DeploySpec:
        """Resolve ``churn@champion`` or ``churn/3`` into a :class:`DeploySpec`.

        ``sizing`` holds the :class:`DeploySpec` fields after ``requirements`` (``name``,
        ``image``, ``replicas``...); ``None`` values keep the defaults.
        """
        name, alias, number = _parse_model(model)
        version = self.models.get_model_version(name, alias if alias else number)
        manifest = self.models.get_manifest(version)
        python = ".".join(str(manifest.get("python", "3.11")).split(".")[:2])
        return DeploySpec(
            model=name,
            alias=alias,
            version=version.version,
            digest=version.digest,
            python=python,
            requirements=pinned_requirements(manifest.get("packages", {})),
            **{k: v for k, v in sizing.items() if v is not None},
        )

    def deploy(
        self,
        target: str,
        model: str,
        outdir: str | os.PathLike[str],
        *,
        name: str | None = None,
        image: str | None = None,
        namespace: str | None = None,
        replicas: int = 2,
        max_replicas: int = 10,
        cpu_target: int = 70,
        workers: int = 2,
        cpu: str = "500m",
        memory: str = "512Mi",
        secret: str | None = None,
    ) -> DeployResult:
        """Write a Dockerfile and, for ``k8s`` or ``kserve``, the cluster manifests.

        Args:
            target: ``docker`` (Dockerfile, requirements.txt), ``k8s`` (plus Deployment,
                Service and HorizontalPodAutoscaler) or ``kserve`` (plus an
                InferenceService speaking the V2 protocol).
            model: ``churn@champion`` (the pods follow the alias: hot swap) or ``churn/3``.
            outdir: folder to write (created if missing; files are overwritten).
            name: Kubernetes name (default: the model name, DNS-safe).
            image: image the manifests run (default ``<name>:<version>``).
            namespace: Kubernetes namespace (default: none, the current one).
            replicas: smallest pod count (the HPA minimum).
            max_replicas: largest pod count (the HPA maximum).
            cpu_target: average CPU use, in percent of the request, the HPA aims for.
            workers: server processes per pod (``loopml serve --workers``).
            cpu: CPU request per pod.
            memory: memory request and limit per pod.
            secret: Secret with the pods' ``LOOPML_*`` settings (default ``<name>-loopml``).

        Returns:
            A :class:`DeployResult` listing the files written.

        Raises:
            InvalidInput: an unknown target, a malformed model reference or sizing.
            ModelNotFound, AliasNotFound, ModelVersionNotFound: nothing to deploy.

        Example:
            >>> lm.deploy_model("k8s", "churn@champion", "deploy/churn")  # doctest: +SKIP
        """
        kind = check_target(target)
        spec = self.spec(
            model,
            name=name,
            image=image,
            namespace=namespace,
            replicas=replicas,
            max_replicas=max_replicas,
            cpu_target=cpu_target,
            workers=workers,
            cpu=cpu,
            memory=memory,
            secret=secret,
        )
        folder = Path(outdir)
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "Dockerfile": dockerfile.dockerfile(spec),
            "requirements.txt": dockerfile.requirements_text(spec),
            ".dockerignore": dockerfile.DOCKERIGNORE,
        }
        if kind == "k8s":
            files["deployment.yaml"] = _yaml(manifests.deployment(spec))
            files["service.yaml"] = _yaml(manifests.service(spec))
            files["hpa.yaml"] = _yaml(manifests.autoscaler(spec))
        elif kind == "kserve":
            files["inferenceservice.yaml"] = _yaml(manifests.inference_service(spec))
        for name, text in files.items():
            (folder / name).write_text(text)
        logger.info("wrote %s artifacts for %s to %s", kind, spec.served_target, folder)
        return DeployResult(kind, spec, folder, sorted(files))


def pinned_requirements(packages: dict[str, str]) -> tuple[str, ...]:
    """Pin the package's own environment plus the server's packages from this one."""
    pins = {name.lower(): version for name, version in packages.items()}
    for name in SERVER_PACKAGES:
        if name in pins:
            continue
        try:
            pins[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return tuple(f"{name}=={version}" for name, version in sorted(pins.items()))


def _parse_model(model: str) -> tuple[str, str | None, int | str]:
    if "@" in model:
        name, _, alias = model.partition("@")
        if name and alias:
            return name, alias, alias
    elif "/" in model:
        name, _, version = model.partition("/")
        if name and is_digits(version):
            return name, None, int(version)
    raise InvalidInput(
        f"model {model!r} must be NAME@ALIAS (follows the alias, e.g. churn@champion) "
        "or NAME/VERSION (pinned, e.g. churn/3)"
    )


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)
