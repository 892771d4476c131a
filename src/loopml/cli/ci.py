"""``loopml ci``: run the gates on a candidate; write JUnit XML and Markdown; exit 1 on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

import loopml as lm
from loopml.cli._output import console, print_json, print_table
from loopml.errors import InvalidInput


def ci(
    model: str = typer.Argument(None, help="The registered model (default: from loopml.yaml)."),
    version: str = typer.Option(None, "--version", "-v", help="Version or alias to judge."),
    run: str = typer.Option(
        None, "--run", help="A run id: register runs:/<id>/model and judge it."
    ),
    config: Path = typer.Option(Path("loopml.yaml"), "--config", "-c", help="Gates: ci: section."),
    loop: str = typer.Option(None, "--loop", help="Use the gates of this stored loop."),
    evaluation: str = typer.Option(None, "--evaluation", "-e", help="Labelled rows: dataset@v."),
    deployment: str = typer.Option(None, "--deployment", help="Judge on its labelled log."),
    last_n: int = typer.Option(None, "--last-n", help="Newest labelled predictions to use."),
    label: str = typer.Option(None, "--label", help="Label column of the evaluation rows."),
    junit: Path = typer.Option(Path("loopml-ci.xml"), "--junit", help="JUnit XML report path."),
    markdown: Path = typer.Option(Path("loopml-ci.md"), "--markdown", help="Markdown report."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Judge a candidate model against the champion with the project's gates.

    Writes a JUnit XML report (for CI test views) and a Markdown report (for a pull-request
    comment) and exits with 1 when a gate failed, 0 when all passed.

    Example: loopml ci churn --run 3f2a9c... --evaluation churn-holdout@latest
    """
    settings = _settings(config)
    name = model or settings.get("model")
    if not name:
        raise InvalidInput(
            "name the model: `loopml ci MODEL` or 'model:' under 'ci:' in loopml.yaml"
        )
    client = lm.get_client()
    gates = client.loops.get(loop).loop.gate_list if loop else settings.get("gates")
    target = version or settings.get("version") or "latest"
    if run:
        ref = f"runs:/{run}/{settings.get('artifact', 'model')}"
        target = str(lm.register_model(ref, name, f"CI candidate from run {run}").version)
    verdict = lm.run_gates(
        name, target, gates,
        evaluation=evaluation or settings.get("evaluation"),
        deployment=deployment or settings.get("deployment"),
        last_n=last_n or settings.get("last_n"),
        label=label or settings.get("label", "label"),
        training_data=settings.get("training_data"),
    )  # fmt: skip
    junit.write_text(verdict.to_junit())
    markdown.write_text(verdict.to_markdown())
    if as_json:
        print_json(verdict.to_dict())
    else:
        rows = [(r.gate, "pass" if r.passed else "FAIL", r.value, r.threshold, r.reason)
                for r in verdict.results]  # fmt: skip
        print_table(f"{name} v{verdict.version}: {'passed' if verdict.passed else 'FAILED'}",
                    ["gate", "result", "value", "threshold", "reason"], rows)  # fmt: skip
        console.print(f"reports: {junit} (JUnit), {markdown} (Markdown)")
    raise typer.Exit(0 if verdict.passed else 1)


def _settings(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import yaml

    data = yaml.safe_load(path.read_text()) or {}
    section = data.get("ci") if isinstance(data, dict) else None
    if section is not None and not isinstance(section, dict):
        raise InvalidInput(f"'ci:' in {path} must be a mapping (model, gates, evaluation...)")
    return dict(section or {})
