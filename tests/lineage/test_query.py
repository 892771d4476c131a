from __future__ import annotations

import pandas as pd
import pytest

import loopml as lm
from loopml.lineage import AmbiguousReference, LineageNotFound, Lineages
from tests.lineage.conftest import log_predictions, train


def test_prediction_traces_back_to_data_code_and_environment(client, trained):
    graph = Lineages(client.store).get(trained.prediction_ids[7])
    assert graph.root == f"prediction:{trained.prediction_ids[7]}"
    upstream = graph.upstream
    assert f"deployment:{trained.model}" in upstream
    assert f"model_version:{trained.model}/{trained.version}" in upstream
    assert f"run:{trained.run_id}" in upstream
    assert f"dataset_version:{trained.dataset}" in upstream
    dataset = graph.nodes[f"dataset_version:{trained.dataset}"]
    assert len(dataset.attributes["sha256"]) == 64
    assert graph.of_type("environment"), "the environment lock is part of the lineage"
    run = graph.nodes[f"run:{trained.run_id}"]
    assert run.attributes["env_digest"]
    # the order follows the chain: deployment first, data later
    assert upstream.index(f"deployment:{trained.model}") < upstream.index(f"run:{trained.run_id}")


def test_alias_and_version_references_agree(client, trained):
    lineages = Lineages(client.store)
    by_alias = lineages.get(f"{trained.model}@champion")
    by_version = lineages.get(f"models:/{trained.model}/{trained.version}")
    assert by_alias.root == by_version.root == f"model_version:{trained.model}/{trained.version}"
    assert f"deployment:{trained.model}" in by_alias.downstream
    assert f"run:{trained.run_id}" in by_alias.upstream


def test_dataset_downstream_reaches_model_and_deployment(client, trained):
    graph = Lineages(client.store).get(f"datasets:/{trained.dataset}", direction="downstream")
    assert f"run:{trained.run_id}" in graph.downstream
    assert f"model_version:{trained.model}/{trained.version}" in graph.downstream
    assert f"deployment:{trained.model}" in graph.downstream
    assert graph.upstream == []


def test_run_and_digest_references(client, trained):
    lineages = Lineages(client.store)
    graph = lineages.get(trained.run_id)
    assert graph.root_node.type == "run"
    digest = graph.nodes[f"dataset_version:{trained.dataset}"].attributes["sha256"]
    assert lineages.get(digest).root == f"dataset_version:{trained.dataset}"
    assert graph.to_dict()["root"] == f"run:{trained.run_id}"


def test_prediction_among_many_files_is_found_and_cached(client, trained, tmp_path):
    for chunk in range(5):
        ids = [f"q{chunk}-{i:05d}" for i in range(1000)]
        log_predictions(client, "other", trained.model, trained.version, ids)
    lineages = Lineages(client.store)
    assert lineages.get("q3-00999").nodes["prediction:q3-00999"].attributes["deployment"] == "other"
    cache = tmp_path / "home" / "cache" / "lineage" / "prediction-index.json"
    assert cache.is_file()
    again = Lineages(client.store)  # a new process reads the ranges from the cache
    assert again.get("q0-00000").root == "prediction:q0-00000"


def test_unknown_and_ambiguous_references(client, trained):
    lineages = Lineages(client.store)
    with pytest.raises(LineageNotFound, match="no prediction 'nope'"):
        lineages.get("nope")
    with pytest.raises(LineageNotFound, match="has no alias 'gold'"):
        lineages.get(f"{trained.model}@gold")
    with pytest.raises(LineageNotFound, match="no run, pipeline run or step run"):
        lineages.get("0" * 32)
    lm.log_dataset(
        pd.DataFrame({"a": [1]}), trained.model
    )  # a dataset named like the model: churn/1 twice
    with pytest.raises(AmbiguousReference, match="models:/churn/1"):
        lineages.get("churn/1")


def test_second_model_does_not_leak_into_the_first(client, trained):
    other = train(client, name="fraud", seed=1)
    graph = Lineages(client.store).get("fraud@champion")
    assert f"run:{other.run_id}" in graph.upstream
    assert f"run:{trained.run_id}" not in graph.nodes


def test_cli_prints_a_tree_and_json(client, trained):
    import json

    from typer.testing import CliRunner

    from loopml.cli.main import app

    runner = CliRunner()
    tree = runner.invoke(app, ["lineage", f"{trained.model}@champion"])
    assert tree.exit_code == 0, tree.output
    assert "upstream" in tree.output
    assert "sha256=" in tree.output
    as_json = runner.invoke(app, ["lineage", trained.prediction_ids[0], "--json"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["root"] == f"prediction:{trained.prediction_ids[0]}"
    missing = runner.invoke(app, ["lineage", "nope"])
    assert missing.exit_code != 0
    assert isinstance(missing.exception, LineageNotFound)
