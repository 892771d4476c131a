"""``loopml serve``, ``loopml predict`` and ``loopml predictions``: online and batch inference."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)

import typer

import loopml as lm
from loopml.cli import quick_serve
from loopml.cli._output import JSON_OPTION, console, jsonable, print_json, print_table


def serve(
    target: str = typer.Argument(..., help="Model to serve: churn@champion, churn/3 or churn."),
    port: int = typer.Option(8000, "--port", "-p", help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback default)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Independent server processes."),
    canary: str | None = typer.Option(
        None, "--canary", help="Send a share to another target, e.g. churn@challenger:10."
    ),
    canary_mode: str = typer.Option(
        "hash", "--canary-mode", help="hash (stable by routing key) or random."
    ),
    shadow: str | None = typer.Option(
        None, "--shadow", help="Target that scores a copy of each request (logged only)."
    ),
    deployment: str | None = typer.Option(
        None, "--deployment", "-d", help="Deployment name (default: the model name)."
    ),
    max_batch_size: int = typer.Option(64, "--max-batch-size", help="Most rows per model call."),
    max_wait_ms: float = typer.Option(
        0.0, "--max-wait-ms", help="Longest a partial batch waits (0: dispatch at once)."
    ),
    no_batching: bool = typer.Option(False, "--no-batching", help="Score each request alone."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not write the prediction log."),
    no_scores: bool = typer.Option(False, "--no-scores", help="Log predictions without scores."),
    poll_interval: float = typer.Option(
        1.0, "--poll-interval", help="Seconds between alias checks (hot swap); 0 disables."
    ),
    max_body_mb: float = typer.Option(32.0, "--max-body-mb", help="Largest request body."),
) -> None:
    """Serve a model over HTTP: JSON /predict, Open Inference V2, /feedback and /metrics.

    Example: loopml serve churn@champion --port 8000 --canary churn@challenger:10
    """
    # a plain command line skips Typer and comes to quick_serve.serve directly (see there)
    quick_serve.serve(
        target,
        port=port,
        host=host,
        workers=workers,
        canary=canary,
        canary_mode=canary_mode,
        shadow=shadow,
        deployment=deployment,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        no_batching=no_batching,
        no_log=no_log,
        no_scores=no_scores,
        poll_interval=poll_interval,
        max_body_mb=max_body_mb,
    )


def predict(
    target: str = typer.Argument(..., help="Model: churn@champion, churn/3 or churn."),
    input: Path = typer.Option(..., "--input", "-i", help="Parquet or CSV file (or folder)."),
    output: Path = typer.Option(..., "--output", "-o", help="Parquet or CSV file to write."),
    chunk_rows: int = typer.Option(65_536, "--chunk-rows", help="Rows per model call."),
    scores: bool = typer.Option(False, "--scores", help="Add a positive-class score column."),
    inputs: bool = typer.Option(
        False, "--inputs", "--with-inputs", help="Also copy the model's input columns."
    ),
    key: list[str] = typer.Option(
        None,
        "--key",
        "-k",
        help="A column to copy next to the predictions (repeat; default: every column the "
        "model does not read).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Score a parquet or CSV file in streaming chunks and write the predictions.

    The output has the key columns (ids: every column the model does not read) and the
    predictions; --inputs adds the model's input columns.

    Example: loopml predict churn@champion --input data.parquet --output scored.parquet
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [
        TextColumn("scoring"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("score", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total if total is not None else done)

        result = lm.predict_batch(
            target,
            input,
            output,
            chunk_rows=chunk_rows,
            scores=scores,
            include_inputs=inputs,
            keys=key or None,
            progress=advance,
        )
    if as_json:
        print_json({**jsonable(result), "rows_per_second": result.rows_per_second})
        return
    console.print(
        f"scored {result.rows:,} rows with {result.model_name}/{result.model_version} in "
        f"{result.seconds:.2f} s ({result.rows_per_second:,.0f} rows/s) -> {result.output}"
    )


def predictions(
    deployment: str = typer.Argument(..., help="Deployment (by default the model name)."),
    since: str | None = typer.Option(None, "--since", "-s", help="e.g. 1h, 7d or an ISO time."),
    until: str | None = typer.Option(None, "--until", help="Latest time (exclusive)."),
    limit: int = typer.Option(20, "--limit", "-n", help="Newest rows to show."),
    feedback: bool = typer.Option(False, "--feedback", help="Join the latest feedback label."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the newest rows of a deployment's prediction log.

    Example: loopml predictions churn --since 1h --limit 50 --feedback --json
    """
    frame = lm.predictions(deployment, since, until, limit=limit, with_feedback=feedback)
    if as_json:
        print_json(frame.to_dict(orient="records"))
        return
    shown = [c for c in frame.columns if c not in ("deployment",)]
    rows = [tuple(record) for record in frame[shown].itertuples(index=False)]
    print_table(f"{len(frame)} prediction(s) of {deployment}", shown, rows)
