"""``loopml deploy``: a Dockerfile and Kubernetes or KServe manifests for a model."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json


def deploy(
    model: str = typer.Argument(..., help="churn@champion (follows the alias) or churn/3."),
    outdir: Path = typer.Argument(..., help="Folder to write (created if missing)."),
    target: str = typer.Option("k8s", "--target", "-t", help="docker, k8s or kserve."),
    name: str | None = typer.Option(None, "--name", help="Kubernetes name (default: model)."),
    image: str | None = typer.Option(None, "--image", help="Image (default NAME:VERSION)."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Namespace."),
    replicas: int = typer.Option(2, "--replicas", help="Smallest pod count (HPA minimum)."),
    max_replicas: int = typer.Option(10, "--max-replicas", help="HPA maximum."),
    cpu_target: int = typer.Option(70, "--cpu-target", help="HPA average CPU use, percent."),
    workers: int = typer.Option(2, "--workers", "-w", help="Server processes per pod."),
    cpu: str = typer.Option("500m", "--cpu", help="CPU request per pod."),
    memory: str = typer.Option("512Mi", "--memory", help="Memory request and limit per pod."),
    secret: str | None = typer.Option(
        None, "--secret", help="Secret with LOOPML_* settings (default NAME-loopml)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a Dockerfile and Kubernetes (or KServe) manifests that serve a model.

    Example: loopml deploy --target k8s churn@champion deploy/churn
    """
    result = lm.deploy_model(
        target,
        model,
        outdir,
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
    spec = result.spec
    if as_json:
        print_json(
            {
                "target": result.target,
                "outdir": str(result.outdir),
                "files": result.files,
                "model": spec.model,
                "alias": spec.alias,
                "version": spec.version,
                "image": spec.image,
                "name": spec.name,
                "secret": spec.secret,
            }
        )
        return
    console.print(
        f"wrote {result.target} artifacts for {spec.served_target} (version {spec.version}) "
        f"to {result.outdir}: {', '.join(result.files)}"
    )
    console.print(f"next: docker build -t {spec.image} {result.outdir}")
    if result.target != "docker":
        console.print(
            f"      kubectl create secret generic {spec.secret} --from-literal="
            "LOOPML_DB_URL=... --from-literal=LOOPML_ARTIFACTS=s3://...  "
            f"&& kubectl apply -f {result.outdir}"
        )
