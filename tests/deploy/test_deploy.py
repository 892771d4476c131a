"""``loopml deploy``: a Dockerfile and manifests that Kubernetes' own schemas accept."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.deploy.spec import LIVE_PATH, PORT, READY_PATH, UID
from loopml.errors import InvalidInput

kubernetes_validate = pytest.importorskip("kubernetes_validate")
K8S_VERSION = "1.30.0"


@pytest.fixture
def registered(sqlite_client):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    model = LogisticRegression().fit(x, (x["a"] > 0).astype(int))
    with lm.start_run("deploy-test") as run:
        ref = run.log_model(model, "model", example=x.head(3))
    version = lm.register_model(ref, "Churn_Model")
    lm.set_alias("Churn_Model", "champion", version.version)
    return version


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    assert not pending, "dangling line continuation"
    return instructions


def test_dockerfile_is_slim_pinned_non_root_and_health_checked(registered, tmp_path):
    result = lm.deploy_model("docker", "Churn_Model@champion", tmp_path / "out")
    assert result.files == [".dockerignore", "Dockerfile", "requirements.txt"]
    steps = parse_dockerfile((tmp_path / "out" / "Dockerfile").read_text())
    words = [word for word, _ in steps]
    assert words[0] == "FROM"
    assert steps[0][1].startswith("python:3.")
    assert steps[0][1].endswith("-slim")
    assert words.count("USER") == 1
    last_run = max(i for i, w in enumerate(words) if w == "RUN")
    assert words.index("USER") > last_run, "every RUN happens before the non-root user"
    assert dict(steps)["USER"] == f"{UID}:{UID}"
    assert dict(steps)["EXPOSE"] == str(PORT)
    health = dict(steps)["HEALTHCHECK"]
    assert "--interval=" in health
    assert READY_PATH in health
    assert "CMD" in health
    entry = json.loads(dict(steps)["ENTRYPOINT"])
    assert entry[:3] == ["loopml", "serve", "Churn_Model@champion"]
    assert entry[entry.index("--port") + 1] == str(PORT)
    assert "0.0.0.0" in entry
    assert any(w == "COPY" and "requirements.txt" in a for w, a in steps)
    requirements = (tmp_path / "out" / "requirements.txt").read_text().splitlines()
    assert requirements, "no requirements"
    assert all(shlex.split(line)[0].count("==") == 1 for line in requirements)
    names = {line.split("==")[0] for line in requirements}
    assert {"scikit-learn", "loopml", "numpy"} <= names


def test_kubernetes_manifests_pass_the_schemas(registered, tmp_path):
    result = lm.deploy_model(
        "k8s", "Churn_Model@champion", tmp_path, namespace="ml", replicas=3, max_replicas=6
    )
    assert {"deployment.yaml", "service.yaml", "hpa.yaml", "Dockerfile"} <= set(result.files)
    docs = {}
    for name in ("deployment.yaml", "service.yaml", "hpa.yaml"):
        doc = yaml.safe_load((tmp_path / name).read_text())
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        docs[doc["kind"]] = doc
    deployment, service, hpa = docs["Deployment"], docs["Service"], docs["HorizontalPodAutoscaler"]
    assert deployment["metadata"]["name"] == "churn-model"  # DNS-safe
    assert deployment["metadata"]["namespace"] == "ml"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == READY_PATH
    assert container["livenessProbe"]["httpGet"]["path"] == LIVE_PATH
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["envFrom"] == [{"secretRef": {"name": "churn-model-loopml"}}]
    assert container["args"][:2] == ["serve", "Churn_Model@champion"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"] == selector
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    assert labels["loopml.dev/model-version"] == str(registered.version)
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)


def test_kserve_inference_service_speaks_v2_and_its_pod_is_valid(registered, tmp_path):
    result = lm.deploy_model("kserve", f"Churn_Model/{registered.version}", tmp_path, workers=1)
    assert "inferenceservice.yaml" in result.files
    doc = yaml.safe_load((tmp_path / "inferenceservice.yaml").read_text())
    assert doc["apiVersion"] == "serving.kserve.io/v1beta1"
    assert doc["kind"] == "InferenceService"
    predictor = doc["spec"]["predictor"]
    assert predictor["protocolVersion"] == "v2"
    (container,) = predictor["containers"]
    assert container["args"][1] == f"Churn_Model/{registered.version}"  # pinned
    # The predictor is a pod spec: Kubernetes' Pod schema must accept it.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "predictor"},
        "spec": {"containers": predictor["containers"]},
    }
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


def test_cli_writes_manifests_and_reports_json(registered, tmp_path):
    out = tmp_path / "cli"
    reply = CliRunner().invoke(
        app, ["deploy", "Churn_Model@champion", str(out), "--target", "k8s", "--json"]
    )
    assert reply.exit_code == 0, reply.output
    body = json.loads(reply.output)
    assert body["version"] == registered.version
    assert sorted(p.name for p in out.iterdir()) == sorted(body["files"])


@pytest.mark.parametrize(
    ("target", "model", "match"),
    [
        ("helm", "Churn_Model@champion", "unknown deploy target"),
        ("k8s", "Churn_Model", "NAME@ALIAS"),
        ("k8s", "Churn_Model/x", "NAME@ALIAS"),
    ],
)
def test_bad_requests_say_what_to_do(registered, tmp_path, target, model, match):
    with pytest.raises(InvalidInput, match=match):
        lm.deploy_model(target, model, tmp_path)


def test_bad_sizing_and_unknown_alias(registered, tmp_path):
    with pytest.raises(InvalidInput, match="replicas"):
        lm.deploy_model("k8s", "Churn_Model@champion", tmp_path, replicas=20, max_replicas=5)
    with pytest.raises(lm.LoopmlError, match="nope"):
        lm.deploy_model("k8s", "Churn_Model@nope", tmp_path)
