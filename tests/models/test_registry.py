from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

import loopml as lm
from loopml.errors import Conflict, InvalidInput, RunNotFound
from loopml.models import AliasNotFound, ModelNotFound, ModelVersionNotFound, PackageNotFound
from loopml.store.tables import core


@pytest.fixture
def logged(client, frame, frame_model):
    with lm.start_run("reg") as run:
        run.log_metrics({"auc": 0.91, "loss": float("nan")})
        ref = run.log_model(frame_model, "model", example=frame[:5])
    return ref


def test_register_creates_numbered_versions_with_lineage(client, logged) -> None:
    first = lm.register_model(logged, "churn", description="first", tags={"team": "growth"})
    second = lm.register_model(logged.uri, "churn")
    assert (first.version, second.version) == (1, 2)
    assert first.run_id == logged.run_id
    assert first.digest == logged.digest
    assert first.description == "first"
    assert first.tags == {"team": "growth"}
    assert first.metrics == {"auc": 0.91}
    assert first.signature == logged.signature
    assert first.source == logged.uri
    assert first.created_by
    with client.store.db.read() as conn:
        edges = {
            (r.src_type, r.src_id, r.relation, r.dst_id)
            for r in conn.execute(select(core.lineage_edges))
        }
    assert ("run", logged.run_id, "produced", "churn/1") in edges
    assert ("model_package", logged.digest, "registered_as", "churn/2") in edges
    assert ("run", logged.run_id, "produced", logged.digest) in edges


def test_register_from_another_model_version(client, logged) -> None:
    lm.register_model(logged, "churn")
    copy = lm.register_model("models:/churn/1", "churn-prod")
    assert copy.digest == logged.digest
    assert copy.source == "models:/churn/1"
    assert copy.run_id == logged.run_id


def test_aliases_set_move_delete_with_history(client, logged) -> None:
    for _ in range(3):
        lm.register_model(logged, "churn")
    assert lm.set_alias("churn", "champion", 1).action == "set"
    assert lm.set_alias("churn", "champion", 1) is None  # unchanged: nothing recorded
    moved = lm.set_alias("churn", "champion", "3", reason="better auc")
    assert (moved.action, moved.previous_version, moved.version) == ("moved", 1, 3)
    lm.set_alias("churn", "challenger", "champion")  # an alias can name the version
    deleted = lm.delete_alias("churn", "challenger")
    assert (deleted.action, deleted.previous_version, deleted.version) == ("deleted", 3, None)
    history = lm.alias_history("churn")
    assert [(h.alias, h.action, h.previous_version, h.version) for h in history] == [
        ("champion", "set", None, 1),
        ("champion", "moved", 1, 3),
        ("challenger", "set", None, 3),
        ("challenger", "deleted", 3, None),
    ]
    assert history[1].reason == "better auc"
    assert all(h.by for h in history)
    assert [h.id for h in history] == sorted(h.id for h in history)
    assert [h.action for h in lm.alias_history("churn", "champion")] == ["set", "moved"]
    assert lm.get_registered_model("churn").aliases == {"champion": 3}
    assert lm.get_model_version("churn", "champion").aliases == ("champion",)
    assert client.models.resolve_alias("churn", "champion") == 3


def test_who_comes_from_loopml_user(client, logged, monkeypatch) -> None:
    monkeypatch.setenv("LOOPML_USER", "alice")
    lm.register_model(logged, "churn")
    lm.set_alias("churn", "champion", 1)
    assert lm.alias_history("churn")[0].by == "alice"
    assert lm.get_model_version("churn", 1).created_by == "alice"


def test_versions_listing_and_models_listing(client, logged) -> None:
    for _ in range(3):
        lm.register_model(logged, "churn")
    lm.register_model(logged, "fraud")
    lm.set_alias("churn", "champion", 2)
    versions = lm.list_model_versions("churn")
    assert [v.version for v in versions] == [3, 2, 1]
    assert versions[1].aliases == ("champion",)
    models = lm.list_models()
    assert [(m.name, m.latest_version, m.version_count) for m in models] == [
        ("churn", 3, 3),
        ("fraud", 1, 1),
    ]
    assert [m.name for m in lm.list_models("rau")] == ["fraud"]
    assert lm.get_model_version("churn").version == 3
    assert lm.get_model_version("churn", "latest").version == 3


def test_descriptions_and_tags(client, logged) -> None:
    lm.register_model(logged, "churn")
    models = client.models
    assert models.update_model("churn", "Churn classifier").description == "Churn classifier"
    assert models.update_model_version("churn", 1, "v1").description == "v1"
    models.set_model_tags("churn", {"team": "growth", "tier": 1})
    models.set_model_tags("churn", {"stage": "prod"}, version=1)
    models.delete_model_tag("churn", "tier")
    assert lm.get_registered_model("churn").tags == {"team": "growth"}
    assert lm.get_model_version("churn", 1).tags == {"stage": "prod"}
    models.delete_model_tag("churn", "stage", version=1)
    assert lm.get_model_version("churn", 1).tags == {}
    with pytest.raises(InvalidInput, match="limit is 5000"):
        models.set_model_tags("churn", {"big": "x" * 6000})


def test_delete_version_refuses_aliased_and_never_reuses_numbers(client, logged) -> None:
    lm.register_model(logged, "churn")
    lm.register_model(logged, "churn")
    lm.set_alias("churn", "champion", 2)
    with pytest.raises(Conflict, match=r"aliased as \['champion'\]"):
        client.models.delete_model_version("churn", 2)
    client.models.delete_model_version("churn", 1)
    assert [v.version for v in lm.list_model_versions("churn")] == [2]
    assert lm.register_model(logged, "churn").version == 3
    with pytest.raises(ModelVersionNotFound, match="no version 1; its versions are 2-3"):
        lm.get_model_version("churn", 1)


def test_errors_list_what_exists(client, logged) -> None:
    lm.register_model(logged, "churn")
    lm.set_alias("churn", "champion", 1)
    with pytest.raises(ModelNotFound, match="Registered models: 'churn'"):
        lm.get_model_version("nope", 1)
    with pytest.raises(ModelVersionNotFound, match="its versions are 1"):
        lm.load_model("models:/churn/9")
    with pytest.raises(AliasNotFound, match="its aliases: champion -> 1"):
        lm.load_model("models:/churn@prod")
    with pytest.raises(AliasNotFound):
        lm.delete_alias("churn", "prod")
    with pytest.raises(ModelVersionNotFound):
        lm.set_alias("churn", "prod", 7)
    with pytest.raises(InvalidInput, match="alias '7x'"):
        lm.set_alias("churn", "7x", 1)
    with pytest.raises(InvalidInput, match="model name"):
        lm.register_model(logged, "bad/name")
    with pytest.raises(PackageNotFound, match=r"its model packages: \['model'\]"):
        lm.register_model(f"runs:/{logged.run_id}/other", "churn")
    with pytest.raises(RunNotFound):
        lm.register_model("runs:/" + "0" * 32 + "/model", "churn")
    assert [v.version for v in lm.list_model_versions("churn")] == [1]  # nothing half-written


def test_concurrent_registrations_get_distinct_versions(client, logged) -> None:
    numbers: list[int] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            for _ in range(3):
                numbers.append(client.models.register_model(logged, "churn").version)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 13))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from([1, 2, 3, None])), max_size=8)
)
def test_alias_history_is_append_only_and_replays_to_the_current_state(
    sqlite_client, frame, array_model, moves
) -> None:
    name = "prop"
    if not lm.list_models(name):
        with lm.start_run("prop") as run:
            ref = run.log_model(array_model, example=frame.to_numpy(float)[:2])
        for _ in range(3):
            lm.register_model(ref, name)
    before = lm.alias_history(name)
    for alias, version in moves:
        current = lm.get_registered_model(name).aliases.get(alias)
        if version is None:
            if current is not None:
                lm.delete_alias(name, alias)
        else:
            lm.set_alias(name, alias, version)
    after = lm.alias_history(name)
    assert after[: len(before)] == before  # nothing rewritten
    state: dict[str, int] = {}
    for change in after:
        assert change.previous_version == state.get(change.alias)
        if change.action == "deleted":
            state.pop(change.alias)
        else:
            state[change.alias] = change.version
    assert state == lm.get_registered_model(name).aliases


def test_an_alias_move_to_other_inputs_is_refused_unless_forced(client, logged, frame, labels):
    from sklearn.linear_model import LogisticRegression
    from typer.testing import CliRunner

    from loopml.cli.main import app
    from loopml.models.errors import SignatureChanged

    first = lm.register_model(logged, "churn").version
    lm.set_alias("churn", "champion", first)
    narrow = frame[["age", "income"]]
    with lm.start_run("narrow") as run:
        ref = run.log_model(LogisticRegression().fit(narrow, labels), "m", example=narrow[:5])
    second = lm.register_model(ref, "churn").version
    with pytest.raises(SignatureChanged, match=r"force=True"):
        lm.set_alias("churn", "champion", second)
    assert lm.get_model_version("churn", "champion").version == first
    lm.set_alias("churn", "challenger", second)  # a new alias has nothing to break
    runner = CliRunner()
    refused = runner.invoke(app, ["models", "set-alias", "churn", "champion", str(second)])
    assert refused.exit_code != 0
    forced = runner.invoke(
        app, ["models", "set-alias", "churn", "champion", str(second), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert lm.get_model_version("churn", "champion").version == second
