"""``loopml up``: the platform server (REST, MLflow-compatible API, UI, scheduler, monitors)."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import console
from loopml.server.runner import PlatformServer


def up(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(5000, "--port", "-p", help="Port to listen on (0: any free port)."),
    scheduler: bool = typer.Option(
        True, "--scheduler/--no-scheduler", help="Run scheduled pipelines and monitors."
    ),
    max_body: int = typer.Option(
        32 * 1024 * 1024, "--max-body", help="Largest request body in bytes (larger: 413)."
    ),
    lease_ttl: float = typer.Option(30.0, "--lease-ttl", help="Seconds the scheduler lease lasts."),
) -> None:
    """Start the platform server on this store; prints its URL when it is ready.

    One process serves the REST API of every component under /api/v1 (OpenAPI at /docs),
    the MLflow-compatible API under /api/2.0/mlflow (set MLFLOW_TRACKING_URI to the URL),
    and the web UI; it also runs the scheduler (pipelines, monitors) under the database
    lease, so several servers never run the same tick twice.

    Example: loopml up --port 5000
    """
    server = PlatformServer(
        lm.get_client(),
        host=host,
        port=port,
        scheduler=scheduler,
        max_body=max_body,
        lease_ttl=lease_ttl,
    )
    server.serve(on_ready=lambda url: console.print(f"loopml is up at {url}  (API: {url}/docs)"))
